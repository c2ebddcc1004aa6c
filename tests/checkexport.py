"""Writing Meedan Check workspace exports for tests, with the headers Check's
rake task writes (meedan/check-api lib/tasks/data/check_sunset.rake)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

HEADERS = {
    "workspace_data.csv": [
        "ID", "Name", "URL", "Created at", "Last activity", "Users #", "Items #", "Requests #", "FactChecks #",
        "Explainers #", "Enabled tipline?", "Active WhatsApp integration?", "Active non-WhatsApp integration?",
        "Active tiplines", "Active API?", "Last access",
    ],
    "workspace_user_data.csv": ["ID", "Name", "Email", "Joined date", "Last access date", "Role"],
    "workspace_fact_checks_data.csv": ["ID", "Title", "Summary", "URL", "Language", "Report Status", "Imported?"],
    "workspace_explainers_data.csv": ["ID", "Title", "Description", "URL", "Language"],
    "workspace_tipline_requests_data.csv": ["ID", "Language", "Platform", "Creation date", "User UID", "Text"],
    "workspace_tipline_newsletter_data.csv": [
        "ID", "Header type", "Header file", "Header overlay text", "Header media url", "Introduction",
        "Content type", "RSS feed url", "Number of articles", "First article", "Second article", "Third article",
        "Footer", "Last sent at", "Language", "Enabled", "Creation date",
    ],
    # One column per workspace task, "label (team task id)"; written only when the workspace has tasks.
    "workspace_annotations_data.csv": ["Item ID", "Where was it first posted? (7)", "Source checked? (8)"],
    "workspace_item_data.csv": [
        "ID", "Title", "Description", "Creation date", "Tags", "Status", "Source", "Media type", "Media data",
    ],
}  # fmt: skip

README = """CSV Export Documentation
========================
This export contains information and data from the workspace in CSV format.
"""

# A quote with commas and a newline, inside quotes in the CSV.
MULTILINE_QUOTE = 'The mayor said, "buses are free", and\nthe council paid 14 million for them'
ARABIC_QUOTE = "وزير الصحة قال إن اللقاح يسبب العقم"
SECRET_EMAIL = "zzsecret.reporter@desk.example"
TIP_UID = "zzuid-whatsapp-4471"
TIP_TEXT = "zztip: my neighbour says the buses are free, is this true?"
ARABIC_TIP = "هل صحيح أن الحافلات مجانية؟"


def workspace_rows() -> dict[str, list[list[str]]]:
    """Every file of a small workspace: 3 users, 7 items (one with an unknown status), 4 fact-checks."""
    return {
        "workspace_data.csv": [
            ["42", "Riverton Desk", "https://checkmedia.org/riverton", "2021-03-01 10:00:00 UTC",
             "2026-07-01 10:00:00 UTC", "3", "7", "2", "4", "1", "Yes", "Yes", "No", "whatsapp", "No",
             "2026-07-01 10:00:00 UTC"],
        ],
        "workspace_user_data.csv": [
            ["11", "Ada Admin", "ada@desk.example", "2021-03-01 10:00:00 UTC", "2026-07-01 10:00:00 UTC", "admin"],
            ["12", "Ed Editor", SECRET_EMAIL, "2021-04-01 10:00:00 UTC", "", "editor"],
            ["13", "Col Laborator", "col@desk.example", "2022-01-01 10:00:00 UTC", "", "collaborator"],
        ],
        "workspace_item_data.csv": [
            ["101", "Free buses cost Riverton 14 million a year", "Said at the council meeting",
             "2024-05-02 09:30:00 UTC", "transport, budget", "false", "Mayor Jane Doe", "Claim", MULTILINE_QUOTE],
            ["102", "Vaccine causes infertility", "", "2024-06-01 12:00:00 +0300", "health", "verified",
             "وزارة الصحة", "Claim", ARABIC_QUOTE],
            ["103", "Viral post about floods", "", "2024-07-01 08:00:00 UTC", "", "in_progress", "",
             "Link", "https://social.example/posts/1"],
            ["104", "Photo of the flooded bridge", "", "2024-07-02 08:00:00 UTC", "", "undetermined", "",
             "UploadedImage", "https://files.example/uploads/bridge.jpg"],
            ["105", "Odd claim", "", "2024-07-03 08:00:00 UTC", "", "half_baked_custom", "", "Claim",
             "A claim with a status nobody mapped"],
            ["106", "Rainfall doubled this year", "", "2024-07-04 08:00:00 UTC", "", "not_applicable", "",
             "Claim", "Rainfall in Riverton doubled this year compared with last year"],
            ["107", "", "", "2024-07-05 08:00:00 UTC", "", "undetermined", "", "UploadedAudio",
             "https://files.example/uploads/voice-note.ogg"],
        ],
        "workspace_fact_checks_data.csv": [
            ["201", "Free buses cost Riverton 14 million a year", "The buses cost 4 million, not 14.",
             "https://riverton-desk.example/checks/free-buses", "en", "published", "false"],
            ["202", "Vaccine causes infertility", "لا يوجد دليل على ذلك",
             "https://riverton-desk.example/ar/checks/vaccine", "ar", "published", "false"],
            ["203", "Draft about the bridge", "Not finished", "", "en", "unpublished", "false"],
            ["204", "Another desk's check of the flood video", "Old footage", "https://other.example/fc/flood",
             "en", "published", "true"],
        ],
        "workspace_explainers_data.csv": [
            ["301", "How we rate claims", "Our scale, explained", "https://riverton-desk.example/how", "en"],
        ],
        "workspace_tipline_requests_data.csv": [
            ["401", "en", "whatsapp", "2024-07-01 08:00:00 UTC", TIP_UID, TIP_TEXT],
            ["402", "ar", "telegram", "2024-07-02 08:00:00 +0300", "uid-2", ARABIC_TIP],
            ["403", "en", "WhatsApp", "2024-07-03 08:00:00 UTC", TIP_UID, "And this bridge photo?"],
            ["404", "en", "Messenger", "2024-07-04 08:00:00 UTC", "uid-3", "Is the flood video old?"],
            ["405", "en", "whatsapp", "last tuesday", "uid-4", "A request with a date nobody can read"],
        ],
        "workspace_tipline_newsletter_data.csv": [
            ["501", "none", "", "", "", "This week's checks", "static", "", "1", "Free buses", "", "", "Thanks",
             "2024-07-05 08:00:00 UTC", "en", "true", "2024-01-01 08:00:00 UTC"],
        ],
    }  # fmt: skip


def csv_bytes(header: list[str], rows: list[list[str]], *, bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


# Item 105 was refused (unknown status): its row is reported; 106 has no answers, so no tasks.
ANNOTATION_ROWS = [
    ["101", "Facebook, then WhatsApp", "-"],
    ["103", "https://social.example/posts/1", "yes"],
    ["105", "Somewhere", "no"],
    ["106", "-", ""],
]


def export_files(*, extra_column: bool = True, omit: tuple[str, ...] = (), tasks: bool = True) -> dict[str, bytes]:
    """The files of the workspace: the item file with a column a later Check might add, the fact-check
    file with a byte-order mark, and (unless ``tasks`` is false: a workspace without tasks has none)
    the annotations file."""
    files = {"README.txt": README.encode()}
    for name, rows in workspace_rows().items():
        if name in omit:
            continue
        header = list(HEADERS[name])
        if extra_column and name == "workspace_item_data.csv":
            header.append("Added by a later Check")
            rows = [[*row, "extra"] for row in rows]
        files[name] = csv_bytes(header, rows, bom=name == "workspace_fact_checks_data.csv")
    if tasks:
        name = "workspace_annotations_data.csv"
        files[name] = csv_bytes(HEADERS[name], ANNOTATION_ROWS)
    return files


def write_zip(path: Path, files: dict[str, bytes], *, folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return path
