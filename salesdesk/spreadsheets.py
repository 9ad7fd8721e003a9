"""Reading the spreadsheets clerks bring: xlsx and csv, safely.

`read_table(file)` returns the header row and an iterator of data rows, or raises
`SpreadsheetError` with a message a clerk can act on. It refuses what is not a spreadsheet (by
content, not by name), zip bombs, XML entity bombs (defusedxml, which openpyxl uses when it is
installed), files with too many rows, and header rows with merged or empty cells; it stops at a
long run of empty rows (a sheet "used" down to row 1,048,576). CSV files saved by a Chinese Excel
(GBK / GB18030) are decoded as such, never stored as mojibake. Workbooks are read with calamine
after the zip and XML checks (defusedxml, no DTD allowed).

The cleaners turn what Excel makes of typed values back into what the clerk meant: dates typed as
text in Chinese formats, full-width digits, numbers that lost their leading zero or became 4.1e17.
"""

import codecs
import csv
import datetime
import functools
import io
import re
import unicodedata
import zipfile
from itertools import islice
from decimal import Decimal, InvalidOperation

import defusedxml.common as defused_common
import defusedxml.ElementTree as defused
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers.phonemetadata import PhoneMetadata
from python_calamine import CalamineError, CalamineWorkbook

from salesdesk.phones import normalize_phone
from salesdesk.pii import normalize_id_card, validate_id_card

MAX_ROWS = 200_000
MAX_EMPTY_RUN = 500  # this many empty rows in a row end the data
HEADER_SEARCH_ROWS = 10  # the header row is one of the first this many rows that are not empty
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; nothing is imported."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Table:
    """A sheet's cleaned header row, and its data rows as (row number, tuple of values).

    The header row is looked for among the first HEADER_SEARCH_ROWS rows that are not empty, so
    title rows and merged group rows above it are passed over: it is the row with the most cells
    that `known(header)` recognises (the first non-empty row when nothing is recognised or no
    `known` is given), or the row whose Excel number `header_row` gives. A header cell left empty
    by a vertical merge (a two-level header) takes the recognised name above it. Row numbers are
    always Excel's.

    `rows()` may be called more than once (the sheet is in memory), so a big import can check
    every row in one pass and write in a second one without holding the cleaned rows. Unpacks as
    `headers, rows = table` for a single pass.
    """

    def __init__(self, source, known=None, header_row=None):
        self.source = source  # a callable giving a fresh iterator of the sheet's raw rows
        self.header_index, self.headers = _find_header(source(), known, header_row)

    @property
    def header_row(self):
        """The Excel number of the header row."""
        return self.header_index + 1

    def rows(self):
        raw = self.source()
        for _skipped in range(self.header_index + 1):
            next(raw, None)
        return _data_rows(raw, first_number=self.header_index + 2)

    def samples(self, count=3):
        """The first `count` data rows, as the mapping step shows them."""
        return [values for _number, values in islice(self.rows(), count)]

    def __iter__(self):
        return iter((self.headers, self.rows()))


def read_table(upload, known=None, header_row=None):
    """The `Table` of the first sheet of an .xlsx file or of a .csv file; `known` and `header_row`
    find its header row (see `Table`)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(XLSX_MAGIC):
        return Table(_xlsx_rows(upload), known, header_row)
    if head.startswith(OLE_MAGIC):
        raise SpreadsheetError(_("This is an old Excel 97–2003 file (.xls). Save it as .xlsx in Excel and upload that."))
    return Table(_csv_rows(upload), known, header_row)


def _check_zip(upload):
    """A real workbook, of a sane unpacked size, with no DTD (hence no entity bomb) in any part."""
    archive = _workbook_archive(upload)
    _check_unpacked_size(archive)
    _check_no_dtd(archive)
    upload.seek(0)


def _workbook_archive(upload):
    """The file as a readable zip that holds a workbook part."""
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile:
        raise SpreadsheetError(_("The file is damaged or is not an Excel workbook."))
    if "xl/workbook.xml" not in set(archive.namelist()):
        raise SpreadsheetError(_("This is a zip file, not an Excel workbook."))
    return archive


def _check_unpacked_size(archive):
    """No zip bomb: the parts unpack to at most MAX_UNCOMPRESSED bytes, and to at most
    MAX_COMPRESSION_RATIO times their packed size."""
    total = sum(info.file_size for info in archive.infolist())
    packed = sum(info.compress_size for info in archive.infolist()) or 1
    if total > MAX_UNCOMPRESSED or total / packed > MAX_COMPRESSION_RATIO:
        raise SpreadsheetError(
            _("The workbook unpacks to %(size)d MB; that is not a normal spreadsheet. Nothing was imported.")
            % {"size": total // (1024 * 1024)}
        )


def _check_no_dtd(archive):
    """No XML part declares a DTD or an entity (an entity bomb, an external entity)."""
    entity_bomb = SpreadsheetError(_("The workbook contains XML entities, which are not allowed. Nothing was imported."))
    for name in ("[Content_Types].xml", "xl/workbook.xml"):
        try:
            defused.fromstring(archive.read(name), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except KeyError:
            continue
        except (defused_common.DefusedXmlException, defused.ParseError):
            raise entity_bomb
    try:
        for info in archive.infolist():  # the big parts, streamed: Office never writes a DTD
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        if b"<!DOCTYPE" in (tail + chunk).upper() or b"<!ENTITY" in (tail + chunk).upper():
                            raise entity_bomb
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):  # a part that lies about its size or CRC
        raise SpreadsheetError(_("The file is damaged or is not an Excel workbook."))


def _xlsx_rows(upload):
    """The raw rows of the first sheet, from Excel's row 1, read by calamine (Rust): 100,000 rows in
    ~2 s where openpyxl takes ~30 s."""
    _check_zip(upload)
    try:
        workbook = CalamineWorkbook.from_filelike(upload)
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise SpreadsheetError(_("The workbook cannot be read (%(error)s).") % {"error": exc.__class__.__name__})
    return lambda: (tuple(row) for row in sheet.iter_rows())


def _csv_rows(upload):
    raw = upload.read()
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        raise SpreadsheetError(_("This CSV file is UTF-16; save it as “CSV UTF-8” or plain CSV."))
    if b"\x00" in raw[:4096]:
        raise SpreadsheetError(_("This file is not a spreadsheet (it is a binary file). Upload an .xlsx or .csv file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes any byte sequence, so this is only for safety
        raise SpreadsheetError(_("The text encoding of this CSV file is not recognised. Save it as UTF-8 or GBK."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    def rows():
        try:
            for row in csv.reader(io.StringIO(text, newline=""), dialect):
                yield tuple(row)
        except csv.Error as exc:  # e.g. an unclosed quote that swallows the rest of the file
            raise SpreadsheetError(_("The CSV file cannot be read (%(error)s).") % {"error": exc})

    return rows


def _empty(row):
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def _find_header(rows, known, header_row):
    """(index of the header row, its cleaned headers); see `Table`."""
    candidates = []  # (index, row) of the first non-empty rows
    for index, row in enumerate(rows):
        if header_row is not None and index >= header_row:
            break
        if not _empty(row):
            candidates.append((index, row))
            if header_row is None and len(candidates) >= HEADER_SEARCH_ROWS:
                break
        elif index > MAX_EMPTY_RUN:
            break
    if header_row is not None:
        candidates = [(index, row) for index, row in candidates if index < header_row]
        if not candidates or candidates[-1][0] != header_row - 1:
            raise SpreadsheetError(_("Row %(row)s of the file is empty: it cannot be the header row.") % {"row": header_row})
        position = len(candidates) - 1
    elif not candidates:
        raise SpreadsheetError(_("The file has no header row: the first row must name the columns."))
    else:
        position = _header_position(candidates, known)
    index, row = candidates[position]
    return index, _headers(_filled_from_above(row, [above for _index, above in candidates[:position]], known))


def _header_position(candidates, known):
    """Which of the first rows is the header: the one with the most recognised names (the first of
    equals); then the rows below it that only name columns it leaves empty or does not recognise
    (the lower level of a two-level header) take its place."""
    if known is None:
        return 0
    scores = [[bool(known(clean_header(value))) for value in row] for _index, row in candidates]
    best = max(range(len(candidates)), key=lambda position: (sum(scores[position]), -position))
    if not any(scores[best]):
        return 0
    while best + 1 < len(candidates):
        row, below = candidates[best + 1][1], scores[best + 1]
        lower_level = any(below) and all(
            not _filled(value) or not (position < len(scores[best]) and scores[best][position])
            for position, value in enumerate(row)
        )
        if not lower_level or candidates[best + 1][0] != candidates[best][0] + 1:
            break
        best += 1
    return best


def _filled_from_above(row, above, known):
    """The header row with each empty cell given the nearest recognised name above it (a header cell
    merged down over two rows keeps its text in the upper one)."""
    if known is None or not above:
        return row
    width = max(len(row), *(len(upper) for upper in above))
    filled = list(row) + [None] * (width - len(row))
    for position in range(width):
        if _filled(filled[position]):
            continue
        for upper in reversed(above):
            value = upper[position] if position < len(upper) else None
            if _filled(value):
                if known(clean_header(value)):
                    filled[position] = value
                break
    return filled


def _filled(value):
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _headers(row):
    headers = [clean_header(value) for value in row]
    while headers and not headers[-1]:
        headers.pop()
    if any(not header for header in headers):
        position = headers.index("") + 1
        raise SpreadsheetError(
            _("Column %(column)s of the header row is empty (merged header cells?). Give every column its own header.")
            % {"column": position}
        )
    duplicates = sorted({header for header in headers if headers.count(header) > 1})
    if duplicates:
        raise SpreadsheetError(_("These columns appear twice in the header row: %(names)s.") % {"names": "、".join(duplicates)})
    return headers


def _data_rows(rows, first_number=2):
    empty_run, count = 0, 0
    for number, row in enumerate(rows, start=first_number):
        if _empty(row):
            empty_run += 1
            if empty_run >= MAX_EMPTY_RUN:
                return
            continue
        empty_run = 0
        count += 1
        if count > MAX_ROWS:
            raise SpreadsheetError(
                _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{MAX_ROWS:,}"}
            )
        yield number, row


def clean_header(value):
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("*").strip()
    return text


# Cleaners: value from a cell -> Python value, or ValueError with the message for the clerk. ------

DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def narrow(value):
    """Full-width digits, letters and signs to their plain forms (１２３ → 123)."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def text(value, max_length=None):
    if value is None:
        return ""
    result = str(value).strip()
    if result[:1] == "'" and result[1:2] in FORMULA_STARTS:
        result = result[1:]  # our own neutralising apostrophe, from an error workbook sent back
    if max_length and len(result) > max_length:
        raise ValueError(_("At most %(max)s characters.") % {"max": max_length})
    return result


def date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:  # an Excel serial date
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    raw = narrow(value).replace(" ", "")
    if isinstance(value, (int, float)):
        raw = str(int(value))
    for pattern in DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise ValueError(_("“%(value)s” is not a date. Write it as 2026-03-05, 2026/3/5, 2026年3月5日 or 20260305.") % {"value": value})


def decimal(value, places=2):
    if value in (None, ""):
        return None
    if isinstance(value, float):
        value = repr(value)
    raw = narrow(value).replace(",", "").replace("¥", "").replace("元", "").replace(" ", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
    if number < 0:
        raise ValueError(_("The number cannot be negative."))
    return number.quantize(Decimal(1).scaleb(-places))


def integer(value):
    number = decimal(value, places=0)
    return None if number is None else int(number)


def id_card(value):
    if value in (None, ""):
        return ""
    if isinstance(value, float):
        raise ValueError(
            _("Excel stored this ID-card number as a number (%(value)s) and lost its last digits. "
              "Format the column as text, type the number again and upload the file.") % {"value": f"{value:.6g}"}
        )
    number = normalize_id_card(narrow(value))
    if re.fullmatch(r"\d{17}[\dX]", number) is None and re.fullmatch(r"\d{16}[\dX]", number):
        raise ValueError(_("This ID-card number has 17 characters: it lost its leading digit. Type it again as text."))
    try:
        validate_id_card(number)
    except ValidationError as exc:
        raise ValueError(exc.messages[0])
    return number


def _id_card_checked(value):
    """`id_card` of a cell it has accepted before: normalised, not checked again."""
    return normalize_id_card(narrow(value)) if value not in (None, "") else ""


id_card.checked = _id_card_checked


MOBILE_DIGITS = re.compile(r"1\d{10}")


def phone(value):
    """A phone cell as `salesdesk.phones.normalize_phone` stores it; Excel's damage undone first
    (a number stored as a float, a landline that lost its leading 0). A mobile typed as its 11
    digits is checked against libphonenumber's own pattern of Chinese mobiles and kept as it is
    (what normalize_phone stores for it): ~1 µs where parsing it takes ~40."""
    if value in (None, ""):
        return ""
    if isinstance(value, float):
        if value != int(value) or value > 1e15:
            raise ValueError(_("Excel stored this phone number as a number and changed it. Format the column as text."))
        value = int(value)
    raw = str(value) if isinstance(value, int) else narrow(value)
    if isinstance(value, int) and len(raw) in (9, 10, 11) and not raw.startswith(("0", "1")):
        raw = "0" + raw  # a landline whose area code lost its leading zero in Excel
    if MOBILE_DIGITS.fullmatch(raw) and _chinese_mobile().fullmatch(raw):
        return raw
    return normalize_phone(raw)  # the stored form, or the reason it is no phone number


@functools.cache
def _chinese_mobile():
    """libphonenumber's pattern of the national numbers of Chinese mobiles (its metadata for CN);
    the import's tests check that it answers as normalize_phone does for every five-digit start of
    a mobile."""
    return re.compile(PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)


def _phone_checked(value):
    """`phone` of a cell it has accepted before: a mobile typed as its 11 digits is stored as it is
    (libphonenumber said so the first time), anything else is normalised again."""
    if isinstance(value, str) and MOBILE_DIGITS.fullmatch(value):
        return value
    if isinstance(value, (int, float)) and 1e10 <= value < 2e10 and value == int(value):
        return str(int(value))
    return phone(value)


phone.checked = _phone_checked  # a cleaner's `checked`: the same result, for a value it accepted once


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text a spreadsheet would take for a formula (it starts with =, +, -, @, a tab or a carriage
    return) gets a leading apostrophe, so no spreadsheet evaluates it. Numbers stay numbers. Used
    by the exports and the import's error workbook; `text()` takes the apostrophe off again."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
