"""A Check export is outside input: archives that try to escape, explode or flood are refused, nothing written."""

from __future__ import annotations

import os
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.checkimport.archive import ArchiveError, Export
from claims.checkimport.csvfiles import ExportFormatError, read_rows
from claims.models import Claim, ImportedRecord

from .checkexport import csv_bytes, export_files, write_zip


def refused(path, message: str) -> None:
    with pytest.raises(CommandError, match=message) as error:
        call_command("import_check_export", str(path), stdout=StringIO(), stderr=StringIO())
    assert "Nothing was imported." in str(error.value)
    assert ImportedRecord.objects.count() == 0 and Claim.objects.count() == 0


def test_entry_climbing_out_of_the_export_is_refused(tmp_path, default_scale, roles):
    files = {**export_files(), "../../x": b"owned"}
    path = write_zip(tmp_path / "climb.zip", files)
    refused(path, "entry '../../x' points outside the export")
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "C:/windows/x.csv", "a/../../b.csv"])
def test_absolute_and_drive_names_are_refused(tmp_path, name):
    path = write_zip(tmp_path / "abs.zip", {"workspace_data.csv": b"Name\nx\n", name: b"x"})
    with pytest.raises(ArchiveError, match="points outside the export"):
        Export(path)


def test_symbolic_link_entry_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("workspace_item_data.csv")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="is a symbolic link"):
        Export(path)


def test_symbolic_link_in_an_unpacked_folder_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "workspace_data.csv").write_bytes(b"Name\nx\n")
    os.symlink("/etc/passwd", folder / "workspace_item_data.csv")
    with pytest.raises(ArchiveError, match="is a symbolic link"):
        Export(folder)


def test_zip_bomb_is_refused(tmp_path, default_scale, roles):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_files(omit=("workspace_explainers_data.csv",)).items():
            archive.writestr(name, data)
        # 20 MB of one byte deflates about a thousand to one.
        archive.writestr("workspace_explainers_data.csv", b"ID,Title\n" + b"0" * 20_000_000)
    refused(path, "decompresses .* times its size \\(more than 100\\): refused as a zip bomb")


def test_member_inflating_past_its_declared_size_is_refused(tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("workspace_data.csv", b"Name\n" + b"x" * 5000)
    with Export(path) as export:
        export.limits = type(export.limits)(member_bytes=1000)
        with pytest.raises(ArchiveError, match="larger than 1,000 bytes once decompressed"):
            export.read("workspace_data.csv")


def test_archive_with_a_hundred_thousand_entries_is_refused(tmp_path, default_scale, roles):
    path = tmp_path / "flood.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in export_files().items():
            archive.writestr(name, data)
        for n in range(100_000):
            archive.writestr(f"f/{n}", b"")
    refused(path, "100,0.. entries, more than the 10,000 an export may hold")


def test_file_that_is_not_a_zip_is_refused(tmp_path, default_scale, roles):
    path = tmp_path / "export.zip"
    path.write_bytes(b"%PDF-1.4 this is not a zip archive")
    refused(path, "not a zip archive")


def test_missing_path_is_refused(tmp_path, default_scale, roles):
    refused(tmp_path / "nowhere.zip", "no such file or folder")


def test_two_files_with_one_name_are_refused(tmp_path):
    path = write_zip(tmp_path / "twice.zip", {"a/workspace_data.csv": b"Name\n", "b/workspace_data.csv": b"Name\n"})
    with pytest.raises(ArchiveError, match="two files named 'workspace_data.csv'"):
        Export(path)


def test_csv_reads_bom_quotes_newlines_rtl_and_long_fields():
    long_field = "و" * 1_000_000
    data = csv_bytes(
        ["ID", "Title", "Later column"],
        [["1", 'a "quoted", field\nover two lines', "x"], ["2", long_field, "y"]],
        bom=True,
    )
    header, rows = read_rows("f.csv", data, required=("ID", "Title"))
    rows = list(rows)
    assert header == ["ID", "Title", "Later column"]
    assert rows[0].get("Title") == 'a "quoted", field\nover two lines'
    assert rows[1].get("Title") == long_field and rows[1].number == 2


def test_csv_that_is_not_utf8_is_refused():
    with pytest.raises(ExportFormatError, match="not UTF-8"):
        read_rows("f.csv", "ID,Title\n1,caf\xe9\n".encode("latin-1"), required=("ID",))
