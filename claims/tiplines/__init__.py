"""Reader tips and tiplines (issue 17): the public form and API, WhatsApp and Telegram.

``tips`` takes tips in and matches them (instant answer, link to a claim, or a
new candidate), ``replies`` sends answers and published revisions back through
each requester's channel, ``channels`` speaks the channels' wire formats. Above
review and intake in the layers: nothing below imports this package, so a
publication reaches the requesters through the outbox by task name
(``claims.tasks.queue_tip_replies``).
"""
