"""Reader tips: the public form and API, WhatsApp and Telegram, instant answers and replies (issue 17).

An entry point over intake and matching; publication reaches it only through the outbox (by task name).
"""
