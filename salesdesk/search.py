"""Search by fragment: one box finds a record by any piece of a name (its characters, its pinyin,
its pinyin initials), by 4 or more digits of a phone (尾号), by 4 or more characters of an
ID-card number, or by a piece of a dossier number.

    search_text("张秀英")               -> "张秀英 zhangxiuying zxy"
    search_text("ABC农机", "曾强")       -> "abc农机 abcnongji abcnj 曾强 cengqiang cq zengqiang zq"
    parse("秀")                         -> Query(terms=("秀",))            a fragment of a name
    parse("zs")                         -> Query(terms=("zs",))            initials: 张三
    parse("+86 138-0013-8000")          -> Query(phone="13800138000", whole_phone=True)
    parse("8000")                       -> Query(phone="8000", id_card="8000", number="8000")
    parse("0519x")                      -> Query(id_card="0519X")
    parse("zy-hb")                      -> Query(number="ZY-HB")

A model that is searched keeps `search_text` of its names in a `search` column (`Searchable`):
its `save()`, and `bulk_create`/`bulk_update`/`update` of its queryset (`SearchableQuerySet`),
write it; a writer that goes around the ORM (COPY) writes `search_text` itself. A list's filter
calls `find(queryset, typed, text=[…], phones=[…], id_cards=[…], numbers=[…])` with the columns
its model has.

On PostgreSQL the apps give these columns pg_trgm GIN indexes (a fragment of 3 characters or
more); for the 1–2 character fragments that give trigrams nothing to look up (a surname, a given
name, initials), a big table also gets a generated column of its search text's characters and
character pairs (`salesdesk_short_grams`, migration 0002) with a GIN index, named by the model's
`search_pieces`. SQLite runs the same lookups as scans.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections, models
from django.db.models import Expression, F, Q, Value
from django.db.models.functions import Replace
from django.db.models.lookups import Contains, Exact
from pypinyin import lazy_pinyin
from pypinyin.constants import RE_HANS

from salesdesk.phones import normalize_phone, phone_digits

SHORT = 2  # a fragment this short is looked up among the text's characters and pairs (PostgreSQL)
MIN_DIGITS = 4  # a phone or ID-card fragment has at least this many characters

# The surnames whose reading as a surname is not pypinyin's everyday one (曾 is céng in 曾经,
# Zēng as a name): a name starting with one is also found by that reading.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "盖": "ge", "乐": "yue", "缪": "miao", "翟": "zhai", "覃": "qin", "召": "shao", "尉": "yu",
    "员": "yun", "秘": "bi", "繁": "po", "种": "chong", "折": "she", "黑": "he", "沈": "shen",
}


# The searchable text ------------------------------------------------------------------------


def fold(text):
    """`text` as names and typed fragments are compared: full-width folded to half-width
    (NFKC), lower case, letters and digits only (spaces and punctuation dropped)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").lower() if ch.isalnum())


def _is_han(ch):
    """A character pypinyin reads as Chinese (its own pattern: 〇, the CJK blocks and extensions)."""
    return RE_HANS.match(ch) is not None


@lru_cache(maxsize=400_000)  # names repeat: a cached name costs a dictionary look-up
def name_forms(name):
    """The forms a name is found by: itself, its full pinyin, its pinyin initials (and, for a
    surname read differently as a name, those two again with that reading). Runs of Latin
    letters and digits stay whole in every form: ABC农机 → abc农机, abcnongji, abcnj."""
    name = unicodedata.normalize("NFKC", (name or "").strip())
    if not name:
        return ()
    forms = [fold(name)]
    if any(_is_han(ch) for ch in name):
        syllables = lazy_pinyin(name)
        initials = _initials(name, syllables)
        forms += [fold("".join(syllables)), fold("".join(initials))]
        surname = SURNAME_READINGS.get(name[0])
        if surname and surname != syllables[0]:
            forms += [fold(surname + "".join(syllables[1:])), fold(surname[0] + "".join(initials[1:]))]
    return tuple(dict.fromkeys(form for form in forms if form))


def _initials(name, syllables):
    """pypinyin's Style.FIRST_LETTER of `name`, from its syllables (half the cost of asking it
    again): a character's syllable gives its first letter, any other run of the name stays whole."""
    initials, at = [], 0
    for syllable in syllables:
        if at < len(name) and _is_han(name[at]):
            initials.append(syllable[:1])
            at += 1
        else:
            initials.append(syllable)
            at += len(syllable)
    return initials


def search_text(*names):
    """The lower-case searchable text of `names` (blank ones skipped): each name's forms, space
    separated, so that a fragment is found inside one form and never across two."""
    forms = []
    for name in names:
        forms.extend(name_forms(name or ""))
    return " ".join(dict.fromkeys(forms))


# What was typed ------------------------------------------------------------------------------

PHONE_LIKE = re.compile(r"[\d+\-()]+")  # digits and the separators a phone is written with
ID_FRAGMENT = re.compile(r"\d{3,17}X")  # an ID-card number's end, its check character an X
NUMBER_FRAGMENT = re.compile(r"[A-Z0-9]*-[A-Z0-9-]*")  # a piece of ZY-HB01-0001, SQ-A-HB01-0003
CODE_LIKE = re.compile(r"(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,}")  # HB01: also a piece of a number


@dataclass(frozen=True)
class Query:
    """What a search box was given, by kind; a record is found if it matches any kind given."""

    typed: str = ""
    terms: tuple = ()  # folded words, each of them inside the search text
    phone: str = ""  # digits inside a phone number (its dashes left out)
    whole_phone: bool = False  # `phone` is a whole mobile number: equal to the stored one
    id_card: str = ""  # upper-case characters inside an ID-card number (18: the whole number)
    number: str = ""  # upper-case characters inside a dossier number

    def __bool__(self):
        return bool(self.terms or self.phone or self.id_card or self.number)

    @property
    def kinds(self):
        return [kind for kind in ("terms", "phone", "id_card", "number") if getattr(self, kind)]


def _is_mobile(digits):
    if len(digits) != 11 or not digits.startswith("1"):
        return False
    try:
        return normalize_phone(digits) == digits
    except ValueError:
        return False


def parse(typed):
    """The kind of fragment `typed` is: a whole mobile number (however it is typed), digits (a
    phone's, an ID-card number's or a dossier number's), an ID-card number ending in X (either
    case), a dossier number with its dashes, else words of a name (folded, each to be found)."""
    typed = unicodedata.normalize("NFKC", typed or "").strip()
    compact = re.sub(r"\s+", "", typed).upper()
    if not compact:
        return Query()
    if PHONE_LIKE.fullmatch(compact):
        digits = phone_digits(compact)
        if _is_mobile(digits):  # a whole mobile number, as the archives store it: looked up, not scanned for
            return Query(typed, phone=digits, whole_phone=True)
        query = Query(
            typed,
            phone=digits if MIN_DIGITS <= len(digits) <= 15 else "",
            id_card=compact if compact.isdigit() and MIN_DIGITS <= len(compact) <= 18 else "",
            number=compact if len(compact) >= MIN_DIGITS and not set(compact) & set("+()") else "",
        )
        if query:
            return query
    elif ID_FRAGMENT.fullmatch(compact) and len(compact) <= 18:
        return Query(typed, id_card=compact)
    elif NUMBER_FRAGMENT.fullmatch(compact) and len(compact.replace("-", "")) >= 1 and len(compact) >= 2:
        return Query(typed, number=compact)
    terms = tuple(dict.fromkeys(term for term in (fold(word) for word in typed.split()) if term))
    return Query(typed, terms=terms, number=compact if CODE_LIKE.fullmatch(compact) else "")


# Finding it ----------------------------------------------------------------------------------


def condition(query, *, vendor, text=(), phones=(), id_cards=(), numbers=(), pieces=""):
    """The Q that holds for a row matching `query` (a `Query`) in the named columns: every term
    inside one of the `text` columns (already folded search text), or the digits inside one of the
    `phones` (dashes left out; a whole mobile number: equal to one), or the fragment inside one of the `id_cards` (the whole number:
    equal to it) or `numbers`; `pieces`: the generated column of the search column's short pieces,
    if the table has one. Nothing matches a query of no kind the columns can hold."""
    found = Q(pk__in=[])
    if query.terms and text:
        every = Q()
        for term in query.terms:
            every &= _any(_text_match(column, term, vendor, pieces if column == "search" else "") for column in text)
        found |= every
    if query.phone and query.whole_phone:
        found |= _any(Q(**{column: query.phone}) for column in phones)
    elif query.phone:
        found |= _any(Q(Contains(Replace(F(column), Value("-"), Value("")), query.phone)) for column in phones)
    if query.id_card:
        exact = len(query.id_card) == 18
        found |= _any(
            Q(Exact(F(column), query.id_card)) if exact else Q(**{f"{column}__contains": query.id_card}) for column in id_cards
        )
    if query.number:
        found |= _any(Q(**{f"{column}__contains": query.number}) for column in numbers)
    return found


def _any(conditions):
    combined = Q(pk__in=[])
    for one in conditions:
        combined |= one
    return combined


def _text_match(column, term, vendor, pieces):
    """`term` inside the search text: a LIKE, served on PostgreSQL by a trigram index from 3
    characters. A shorter term gives trigrams nothing to look up; where the table has a `pieces`
    column (PostgreSQL: the search text's 1- and 2-character pieces, generated from it and GIN
    indexed), it is looked up there instead, which holds exactly when the LIKE does."""
    if vendor != "postgresql" or len(term) > SHORT or not pieces:
        return Q(**{f"{column}__contains": term})
    from django.contrib.postgres.fields import ArrayField
    from django.contrib.postgres.lookups import DataContains

    array = ArrayField(models.TextField())
    found = Q(DataContains(TableColumn(pieces, output_field=array), Value([term], output_field=array)))
    if len(term) == 1 and term.isascii():
        # One letter is in a fifth to three quarters of the pinyin: the planner scans for it, and
        # the LIKE (0.1 µs a row) spares most rows the array's test (0.7 µs): 'z' 34 → 19 ms.
        found &= Q(**{f"{column}__contains": term})
    return found


class TableColumn(Expression):
    """A column of the queried table that is no field of its model (a generated column that only
    PostgreSQL has)."""

    def __init__(self, name, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.{connection.ops.quote_name(self.name)}", []


def find(queryset, typed, **columns):
    """`queryset` narrowed to the rows that match what was typed (see `condition` for `columns`);
    all of it for an empty box."""
    query = typed if isinstance(typed, Query) else parse(typed)
    if not query.typed.strip():
        return queryset
    pieces = getattr(queryset.model, "search_pieces", "")
    return queryset.filter(condition(query, vendor=connections[queryset.db].vendor, pieces=pieces, **columns))


@dataclass(frozen=True)
class Hit:
    """One record the quick search found: its title, the link to it, plain details (a region, a
    status…), and the record with the names of its personal-data fields, which the page shows
    masked (with the logged reveal for a viewer who may unmask)."""

    title: str
    url: str
    details: tuple = ()
    record: object = None
    numbers: tuple = ()

    @property
    def shown_numbers(self):
        """The personal-data fields of the record that hold a value."""
        return [field for field in self.numbers if getattr(self.record, field, "")]


# Keeping the search column right --------------------------------------------------------------


class SearchableQuerySet(models.QuerySet):
    """Bulk writes that keep `search` right: bulk_create fills it, bulk_update writes it with the
    names, update() of all the names writes it (an update of some of them, without `search`, is
    refused: the others differ by row)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.fill_search()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        fields = list(fields)
        if set(fields) & set(self.model.search_sources):
            objs = list(objs)
            for obj in objs:
                obj.fill_search()
            fields = [*fields, "search"] if "search" not in fields else fields
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        sources = self.model.search_sources
        touched = set(kwargs) & set(sources)
        if touched and "search" not in kwargs:  # bulk_update writes it along with the names
            if touched != set(sources) or not all(isinstance(kwargs[name], str) for name in sources):
                raise TypeError(f"Change {', '.join(sorted(touched))} through save() or bulk_update(): "
                                "the search column is written from every name of the row.")
            kwargs["search"] = search_text(*(kwargs[name] for name in sources))
        return super().update(**kwargs)


class Searchable(models.Model):
    """A model found by its names: `search_sources` names the fields, `search` holds their
    `search_text`, written on every save."""

    search_sources = ()
    search_pieces = ""  # PostgreSQL: a generated column of the search text's 1–2 character pieces, if any
    search = models.TextField(editable=False, default="")

    class Meta:
        abstract = True

    def fill_search(self):
        self.search = search_text(*(getattr(self, name) for name in self.search_sources))

    def save(self, *args, update_fields=None, **kwargs):
        self.fill_search()
        if update_fields is not None and set(update_fields) & set(self.search_sources):
            update_fields = {*update_fields, "search"}
        super().save(*args, update_fields=update_fields, **kwargs)


def fill_column(model, sources, *, connection, batch=5000):
    """Write `search` for every row of `model` (a data migration's historical model), in batches
    of `batch` rows read in id order: one UPDATE … FROM (VALUES …) a batch on PostgreSQL, an
    executemany elsewhere. Returns the number of rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    manager = model._base_manager.using(connection.alias)
    done, last = 0, None
    while True:
        rows = manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        rows = list(rows.values_list("pk", *sources)[:batch])
        if not rows:
            return done
        values = [(row[0], search_text(*row[1:])) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                marks = ", ".join(["(%s, %s)"] * len(values))
                cursor.execute(
                    f"UPDATE {table} SET search = v.search FROM (VALUES {marks}) AS v(id, search) "
                    f"WHERE {table}.{pk_column} = v.id",
                    [item for pair in values for item in pair],
                )
            else:
                cursor.executemany(f"UPDATE {table} SET search = %s WHERE {pk_column} = %s",
                                   [(text, pk) for pk, text in values])
        done += len(rows)
        last = rows[-1][0]
