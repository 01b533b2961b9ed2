"""The official file layouts of the event datasets and how a file's layout is recognised.

GDELT publishes its files tab-separated without a header; the column orders below are GDELT's own
(``GDELT_1.0_event_Column_Labels_Header_Row_Sep2016``, ``GDELT_2.0_Events_Column_Labels_Header_Row_Sep2016``,
``GDELT_2.0_eventMentions_Column_Labels_Header_Row_Sep2016``). GDELT 1.0 back-files (before April
2013) have 57 fields; the daily files since then add ``SOURCEURL`` (58). ICEWS dataverse files are
tab-separated with a header row. CSV re-saves of any of them with a header row are recognised by
their header.
"""

from __future__ import annotations

from dataclasses import dataclass

GDELT1_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)  # fmt: skip

GDELT2_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code",
    "Actor1Geo_ADM2Code", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code",
    "Actor2Geo_ADM2Code", "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_ADM2Code", "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)  # fmt: skip

GDELT2_MENTIONS_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "EventTimeDate", "MentionTimeDate", "MentionType", "MentionSourceName",
    "MentionIdentifier", "SentenceID", "Actor1CharOffset", "Actor2CharOffset", "ActionCharOffset",
    "InRawText", "Confidence", "MentionDocLen", "MentionDocTone", "MentionDocTranslationInfo",
    "Extras",
)  # fmt: skip

ICEWS_COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country", "Event Text",
    "CAMEO Code", "Intensity", "Target Name", "Target Sectors", "Target Country", "Story ID",
    "Sentence Number", "Publisher", "City", "District", "Province", "Country", "Latitude",
    "Longitude",
)  # fmt: skip

# The fields an event import needs, per layout: canonical name -> column in the file.
_GDELT_FIELDS = {
    "event_id": "GLOBALEVENTID",
    "date": "SQLDATE",
    "source_code": "Actor1CountryCode",
    "source_group": "Actor1KnownGroupCode",
    "source_type1": "Actor1Type1Code",
    "source_type2": "Actor1Type2Code",
    "target_code": "Actor2CountryCode",
    "target_group": "Actor2KnownGroupCode",
    "target_type1": "Actor2Type1Code",
    "target_type2": "Actor2Type2Code",
    "cameo_code": "EventCode",
    "goldstein": "GoldsteinScale",
    "mentions": "NumMentions",
    "sources": "NumSources",
    "articles": "NumArticles",
    "added": "DATEADDED",
}
_ICEWS_FIELDS = {
    "event_id": "Event ID",
    "date": "Event Date",
    "source_code": "Source Country",
    "source_sectors": "Source Sectors",
    "target_code": "Target Country",
    "target_sectors": "Target Sectors",
    "cameo_code": "CAMEO Code",
    "goldstein": "Intensity",
}
_MENTION_FIELDS = {
    "event_id": "GLOBALEVENTID",
    "event_time": "EventTimeDate",
    "mention_time": "MentionTimeDate",
    "mention_type": "MentionType",
    "mention_source": "MentionSourceName",
    "mention_url": "MentionIdentifier",
    "sentence": "SentenceID",
    "confidence": "Confidence",
    "doc_tone": "MentionDocTone",
}


@dataclass(frozen=True)
class Layout:
    """One official file layout.

    Attributes
    ----------
    name : str
        ``gdelt1``, ``gdelt2``, ``gdelt2_mentions`` or ``icews``.
    kind : str
        ``events`` or ``mentions``: which table of the store the rows go to.
    columns : tuple of str
        The columns in file order.
    widths : tuple of int
        The accepted numbers of fields per row (GDELT 1.0 has 57 or 58).
    fields : dict
        Canonical name -> column name, for the columns an import reads.
    native_header : bool
        Whether the native (official) file has a header row.
    """

    name: str
    kind: str
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    fields: dict[str, str]
    native_header: bool = False


GDELT1 = Layout("gdelt1", "events", GDELT1_COLUMNS, (57, 58), _GDELT_FIELDS)
GDELT2 = Layout("gdelt2", "events", GDELT2_COLUMNS, (61,), _GDELT_FIELDS)
GDELT2_MENTIONS = Layout("gdelt2_mentions", "mentions", GDELT2_MENTIONS_COLUMNS, (16,), _MENTION_FIELDS)
ICEWS = Layout("icews", "events", ICEWS_COLUMNS, (20,), _ICEWS_FIELDS, native_header=True)

LAYOUTS: dict[str, Layout] = {x.name: x for x in (GDELT1, GDELT2, GDELT2_MENTIONS, ICEWS)}


@dataclass(frozen=True)
class Detected:
    """A file's recognised form: its layout, delimiter, whether it has a header, its width."""

    layout: Layout
    delimiter: str
    header: bool
    width: int
    quoted: bool


def _norm(name: str) -> str:
    return name.strip().strip('"').lower()


def detect(first_line: str) -> Detected | None:
    """Recognise a layout from a file's first line (None when it matches none).

    A header line is matched by its column names (case-insensitive, so gdeltPyR's lower-cased
    re-saves match too); a data line by its number of tab-separated fields.

    Examples
    --------
    >>> detect("\\t".join(["1"] * 61)).layout.name
    'gdelt2'
    >>> detect("country,comment") is None
    True
    """
    line = first_line.rstrip("\r\n")
    for delimiter in ("\t", ","):
        names = [_norm(x) for x in line.split(delimiter)]
        for layout in LAYOUTS.values():
            wanted = [c.lower() for c in layout.columns]
            for width in layout.widths:
                if names == wanted[:width]:
                    return Detected(layout, delimiter, True, width, quoted=delimiter == ",")
    # No header: the native GDELT form, recognised by its width.
    width = line.count("\t") + 1
    for layout in (GDELT1, GDELT2, GDELT2_MENTIONS):
        if width in layout.widths:
            return Detected(layout, "\t", False, width, quoted=False)
    return None
