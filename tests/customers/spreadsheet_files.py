"""The spreadsheets clerks bring, built in the test: workbooks (openpyxl), CSV bytes, and hostile
files made from a good workbook by replacing one of its parts.

    content = workbook([customer("赵大山", **purchase())])
    importer_for("customers", by=clerk).apply(io.BytesIO(content))
"""

import csv
import io
import random
import re
import struct
import zipfile
import zlib

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.helpers import id_card  # noqa: F401  (re-exported: the modules that build files import it from here)

# keyword: the Chinese header of the customers template (customers.resources)
CUSTOMER_COLUMNS = {
    "name": "姓名", "id_card": "身份证号", "phone": "电话", "address": "地址", "region": "区域编码",
    "crops": "种植作物", "acreage": "耕地面积（亩）", "machinery": "现有农机", "notes": "备注",
    "date": "购买日期", "model": "产品型号", "quantity": "数量", "unit_price": "单价（元）", "amount": "金额（元）",
    "method": "购买方式", "payment": "付款方式", "dealer": "经销商",
}
CUSTOMER_HEADERS = list(CUSTOMER_COLUMNS.values())
REGION_HEADERS = ["区域名称", "区域编码", "上级区域编码", "售后归属"]
DEALER_HEADERS = ["公司名称", "区域编码", "主要联系人", "主要联系人电话", "地址", "备注"]

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def customer(name="赵大山", **fields):
    """One row of a customers file, in CUSTOMER_HEADERS order; no purchase unless given."""
    unknown = set(fields) - set(CUSTOMER_COLUMNS)
    if unknown:
        raise TypeError(f"no customer column {sorted(unknown)}")
    row = {"name": name, "phone": "13812345678", "address": "保定市清苑区东闾乡", "region": "HBBD", "crops": "小麦",
           "acreage": 80, **fields}
    return [row.get(key) for key in CUSTOMER_COLUMNS]


def purchase(date="2026-03-05", model="4LZ-6 谷物联合收割机", quantity=1, unit_price=128000, method="公司直销", payment="现金"):
    """The purchase columns of a customers row, as keywords for `customer`."""
    return {"date": date, "model": model, "quantity": quantity, "unit_price": unit_price, "method": method, "payment": payment}


def customers(count, *, first_phone=13900000001, **fields):
    """`count` distinct customers, each with one purchase."""
    return [customer(f"农户{n:03d}", phone=str(first_phone + n), **{**purchase(), **fields}) for n in range(count)]


def workbook(rows, headers=CUSTOMER_HEADERS, *, arrange=None):
    """An .xlsx file: the header row, then `rows`; `arrange(sheet)` may change the sheet before saving."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if arrange:
        arrange(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, headers=CUSTOMER_HEADERS, *, encoding="utf-8"):
    """A .csv file as Excel saves it: comma-separated, CRLF, in `encoding` (gbk, gb18030, utf-8-sig)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return out.getvalue().encode(encoding)


def read_back(content):
    """The rows of the first sheet of an .xlsx file, as lists of values."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def upload(content, name="customers.xlsx"):
    return SimpleUploadedFile(name, content)


# Hostile files ------------------------------------------------------------------------------


def part(content, name):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(name).decode()


def replace_part(content, name, text):
    """The same workbook with the part `name` replaced or added (deflated, like Excel does)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
        target.writestr(name, text.encode())
    return out.getvalue()


def with_shared_strings(content):
    """The workbook as Excel writes it: the text of cell A2 in xl/sharedStrings.xml, not inline.
    (openpyxl writes inline strings.)"""
    sheet = part(content, SHEET)
    match = re.search(r'<c r="A2" t="inlineStr"><is><t>([^<]*)</t></is></c>', sheet)
    content = replace_part(content, SHEET, sheet.replace(match.group(0), '<c r="A2" t="s"><v>0</v></c>'))
    strings = (f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{match.group(1)}</t></si></sst>')
    content = replace_part(content, SHARED_STRINGS, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + strings)
    types = part(content, "[Content_Types].xml").replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    content = replace_part(content, "[Content_Types].xml", types)
    relations = part(content, "xl/_rels/workbook.xml.rels").replace("</Relationships>", (
        '<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'))
    return replace_part(content, "xl/_rels/workbook.xml.rels", relations)


def unpacked_size(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(info.file_size for info in archive.infolist())


def padded_sheet(content, spaces):
    """A zip bomb in a valid workbook: the sheet XML padded with a long run of spaces."""
    xml = part(content, SHEET)
    return replace_part(content, SHEET, xml.replace("<sheetData>", "<sheetData>" + " " * spaces, 1))


def with_lying_size(content, name, size):
    """The workbook with part `name` declared `size` bytes unpacked, in its local header and in the
    central directory, whatever it really unpacks to: the zip bomb that fools a size check."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    entry = data.find(b"PK\x01\x02")  # the central directory entries
    while data[entry + 46:entry + 46 + struct.unpack_from("<H", data, entry + 28)[0]] != name.encode():
        entry = data.find(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, size)
    return bytes(data)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def with_entity_bomb(content, name):
    """The workbook with part `name` declaring the billion laughs, and a cell using them."""
    if name == SHARED_STRINGS:
        content = with_shared_strings(content)
    xml = part(content, name)
    xml = re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m.group(0) or "") + BILLION_LAUGHS, xml, count=1)
    if name == SHARED_STRINGS:
        xml = re.sub(r"<t>[^<]*</t>", "<t>&lol3;</t>", xml, count=1)
    else:
        xml = re.sub(r'<c r="A2"[^>]*>.*?</c>', '<c r="A2" t="inlineStr"><is><t>&lol3;</t></is></c>', xml, count=1)
    return replace_part(content, name, xml)


def with_empty_rows(content, count):
    """The workbook "used" down to a far row: `count` empty <row r="N"/> elements after the data."""
    xml = part(content, SHEET)
    last = max(int(n) for n in re.findall(r'<row r="(\d+)"', xml))
    empty = "".join(f'<row r="{n}"/>' for n in range(last + 1, last + 1 + count))
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:Q{last + count}"/>', xml, count=1)
    return replace_part(content, SHEET, xml.replace("</sheetData>", empty + "</sheetData>", 1))


def with_broken_xml_after(content, row):
    """The sheet XML cut off in the middle of row `row`, as a half-written file is."""
    xml = part(content, SHEET)
    return replace_part(content, SHEET, xml[: xml.index(f'<row r="{row}"') + 12] + "<c r=")


def png():
    """A real 1×1 PNG image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def random_bytes():
    """Noise, as a damaged download is: always the same 4 KB."""
    return random.Random(2026).randbytes(4096)


def plain_zip():
    """A zip archive of photos, not a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("照片/收割机.png", png())
        archive.writestr("说明.txt", "保定 2026 年春季展会照片")
    return out.getvalue()


def old_excel():
    """The start of an Excel 97–2003 .xls file: an OLE compound document."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"\xfe\xff\x09\x00\x06" + bytes(1531)


def windows_program():
    """The start of a Windows .exe (MZ header, DOS stub)."""
    dos_header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44)
    return dos_header + b"This program cannot be run in DOS mode.\r\n"
