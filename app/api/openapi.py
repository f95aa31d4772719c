"""The OpenAPI 3.1 description of the open-data API, built in code (served at /openapi.json)."""

COUNT_FIELDS = ("category", "venue_type", "district", "verdict", "month")
MAX_PAGE = 1_000_000
MAX_TEXT = 100
MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger id is simply not found
PREFIX = "/api/v1"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """A closed object: every listed property is present unless `required` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        **extra,
    }


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer", "minimum": 1}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
VERDICT = {"type": "string", "enum": ["pass", "fail"]}


def _schemas() -> dict:
    sample = {
        "sample_number": STRING | {"description": "抽样编号"},
        "producer_name": NULLABLE_STRING | {"description": "标称生产企业名称"},
        "producer_address": NULLABLE_STRING | {"description": "标称生产企业地址"},
        "business_name": STRING | {"description": "被抽样单位名称"},
        "business_address": STRING | {"description": "被抽样单位地址"},
        "food_name": STRING | {"description": "食品名称"},
        "specification": NULLABLE_STRING | {"description": "规格型号"},
        "brand": NULLABLE_STRING | {"description": "商标"},
        "batch": NULLABLE_STRING | {"description": "生产日期/批号"},
        "category": _ref("Category"),
        "district": _ref("District"),
        "venue_type": _ref("VenueType"),
        "sampled_on": DATE | {"description": "抽样日期"},
        "verdict": VERDICT | {"description": "检验结论：pass 合格，fail 不合格"},
        "failed_items": NULLABLE_STRING
        | {"description": "不合格项目║检验结果║标准值，多项以“；”分隔；合格为 null"},
        "notice": _ref("NoticeReference"),
        "lab": STRING | {"description": "检验机构"},
        "tracking_url": URL | {"description": "样品标签二维码指向的公开追溯页"},
    }
    item_result = {
        "item": STRING | {"description": "检验项目"},
        "result_text": STRING | {"description": "检验结果"},
        "limit_text": STRING | {"description": "标准值"},
        "passed": {"type": "boolean"},
    }
    notice_link = _object({"id": ID, "number": STRING})
    notice = {
        "id": ID,
        "number": STRING | {"description": "公告号"},
        "title": STRING,
        "task_source": STRING | {"description": "任务来源/项目名称"},
        "published_on": DATE,
        "status": {"type": "string", "enum": ["published", "superseded"]},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "supersedes": {"oneOf": [notice_link, {"type": "null"}]},
        "superseded_by": {"oneOf": [notice_link, {"type": "null"}]},
        "sample_count": COUNT,
        "html_url": URL,
        "pdf_url": URL,
    }
    list_meta = _object({"total": COUNT, "page": ID, "per_page": ID, "pages": COUNT})

    def page_of(item: str) -> dict:
        return _object({"meta": list_meta, "results": {"type": "array", "items": _ref(item)}})

    return {
        "Error": _object(
            {
                "error": _object(
                    {"status": INTEGER, "message": STRING, "title": STRING},
                    required=["status", "message"],
                )
            }
        ),
        "Category": _object({"code": STRING, "name": STRING}),
        "District": _object({"code": STRING, "name": STRING}),
        "VenueType": _object({"key": STRING, "name": STRING}),
        "NoticeReference": _object(
            {"id": ID, "number": STRING, "published_on": DATE, "task_source": STRING}
        ),
        "Sample": _object(sample),
        "ItemResult": _object(item_result),
        "SampleDetail": _object(
            sample | {"results": {"type": "array", "items": _ref("ItemResult")}}
        ),
        "ResultRow": _object(
            {
                "sample_number": STRING,
                "food_name": STRING,
                "category": _ref("Category"),
                "sampled_on": DATE,
            }
            | item_result
        ),
        "FacetTerm": _object(
            {
                "term": STRING
                | {"description": "分类代码、场所类型、区县代码、pass/fail 或 YYYY-MM"},
                "name": NULLABLE_STRING,
                "count": COUNT,
            }
        ),
        "FacetList": _object(
            {
                "meta": _object(
                    {"total": COUNT, "field": {"type": "string", "enum": list(COUNT_FIELDS)}}
                ),
                "results": {"type": "array", "items": _ref("FacetTerm")},
            }
        ),
        "SampleList": page_of("Sample"),
        "ResultList": page_of("ResultRow"),
        "Notice": _object(notice),
        "NoticeDetail": _object(notice | {"sample_numbers": {"type": "array", "items": STRING}}),
        "NoticeList": page_of("Notice"),
        "Venue": _object(
            {
                "id": ID,
                "name": STRING,
                "address": STRING,
                "district": _ref("District"),
                "venue_type": _ref("VenueType"),
            }
        ),
        "VenueList": page_of("Venue"),
        "FoodCandidate": _object(
            {
                "id": ID,
                "label": STRING,
                "category": _ref("Category"),
                "votes": {"type": ["integer", "null"], "minimum": 0},
            }
        ),
        "Round": _object(
            {
                "id": ID,
                "title": STRING,
                "description": NULLABLE_STRING,
                "theme": {"type": "string", "enum": ["campus", "festival", "market", "general"]},
                "status": {"type": "string", "enum": ["open", "closed", "allocated"]},
                "phase": {"type": "string", "enum": ["upcoming", "voting", "closed"]},
                "opens_at": DATE_TIME,
                "closes_at": DATE_TIME,
                "counts_visible": {"type": "boolean"},
                "ballots": {"type": ["integer", "null"], "minimum": 0},
                "foods": {"type": "array", "items": _ref("FoodCandidate")},
            }
        ),
        "RoundList": page_of("Round"),
    }


def _query(name: str, schema: dict, description: str, example=None) -> dict:
    parameter = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    if example is not None:
        parameter["example"] = example
    return parameter


TEXT = {"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\u0000-\\u001f\\u007f]*$"}


def _parameters() -> dict:
    return {
        "page": _query(
            "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "页码"
        ),
        "per_page": _query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            "每页条数",
        ),
        "food": _query("food", TEXT, "食品名称包含此文字", "韭菜"),
        "category": _query("category", TEXT, "食品分类代码（含其下级分类），如 33、3302", "33"),
        "venue_type": _query("venue_type", TEXT, "场所类型，如 farmers_market", "farmers_market"),
        "district": _query("district", TEXT, "区县代码，如 410702", "410702"),
        "verdict": _query("verdict", VERDICT, "pass 合格 / fail 不合格", "fail"),
        "from": _query("from", DATE, "抽样日期不早于（YYYY-MM-DD）", "2026-01-01"),
        "to": _query("to", DATE, "抽样日期不晚于（YYYY-MM-DD）", "2026-12-31"),
        "q": _query("q", TEXT, "在食品名称、标称生产企业、被抽样单位中搜索"),
        "round": _query("round", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "投票轮次"),
        "count": _query(
            "count",
            {"type": "string", "enum": list(COUNT_FIELDS)},
            "按字段统计（如 openFDA 的 count），返回 term/count 列表而非样品",
            "category",
        ),
        "item": _query("item", TEXT, "检验项目名称包含此文字", "腐霉利"),
        "sample_number": _query("sample_number", TEXT, "抽样编号"),
        "notice_status": _query(
            "status", {"type": "string", "enum": ["published", "superseded"]}, "公告状态"
        ),
        "year": _query("year", {"type": "integer", "minimum": 2000, "maximum": 9999}, "公告年份"),
    }


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_REQUEST = {"$ref": "#/components/responses/BadRequest"}
NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
SAMPLE_FILTERS = (
    "food",
    "category",
    "venue_type",
    "district",
    "verdict",
    "from",
    "to",
    "q",
    "round",
)


def _get(summary: str, parameters: list[dict], responses: dict, operation_id: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": responses,
        }
    }


def _paths() -> dict:
    return {
        f"{PREFIX}/samples": _get(
            "已公告的样品（可筛选、分页；count 参数返回统计）",
            _params(*SAMPLE_FILTERS, "count", "page", "per_page"),
            {
                "200": _json_response(
                    "样品列表，或 count 统计",
                    {"oneOf": [_ref("SampleList"), _ref("FacetList")]},
                ),
                "400": BAD_REQUEST,
            },
            "listSamples",
        ),
        f"{PREFIX}/samples/{{sample_number}}": _get(
            "一个已公告样品及其各项检验结果",
            [
                {
                    "name": "sample_number",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
                    "description": "抽样编号",
                }
            ],
            {"200": _json_response("样品", _ref("SampleDetail")), "404": NOT_FOUND},
            "getSample",
        ),
        f"{PREFIX}/samples.csv": _get(
            "已公告样品的 CSV 导出（UTF-8 带 BOM，中文表头，最多 10000 行）",
            _params(*SAMPLE_FILTERS),
            {
                "200": {
                    "description": "CSV 文件",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "400": BAD_REQUEST,
            },
            "exportSamplesCsv",
        ),
        f"{PREFIX}/results": _get(
            "已公告的单项检验结果",
            _params("item", "food", "verdict", "category", "sample_number", "page", "per_page"),
            {"200": _json_response("检验结果列表", _ref("ResultList")), "400": BAD_REQUEST},
            "listResults",
        ),
        f"{PREFIX}/notices": _get(
            "已发布的公告（含已被更正的）",
            _params("notice_status", "year", "page", "per_page"),
            {"200": _json_response("公告列表", _ref("NoticeList")), "400": BAD_REQUEST},
            "listNotices",
        ),
        f"{PREFIX}/notices/{{notice_id}}": _get(
            "一期公告",
            [
                {
                    "name": "notice_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                }
            ],
            {"200": _json_response("公告", _ref("NoticeDetail")), "404": NOT_FOUND},
            "getNotice",
        ),
        f"{PREFIX}/notices.atom": _get(
            "公告的 Atom 订阅源（最近 50 期）",
            [],
            {
                "200": {
                    "description": "Atom 1.0",
                    "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                }
            },
            "noticesFeed",
        ),
        f"{PREFIX}/venues": _get(
            "在册的抽样场所（仅公开的登记信息）",
            _params("district", "venue_type", "q", "page", "per_page"),
            {"200": _json_response("场所列表", _ref("VenueList")), "400": BAD_REQUEST},
            "listVenues",
        ),
        f"{PREFIX}/rounds": _get(
            "已发布的投票轮次；隐藏票数的轮次在结束前不公开票数",
            _params("page", "per_page"),
            {"200": _json_response("投票轮次列表", _ref("RoundList")), "400": BAD_REQUEST},
            "listRounds",
        ),
    }


def openapi_document() -> dict:
    """A fresh copy of the document (callers may change it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "你点我检 开放数据接口",
            "version": "1.0.0",
            "description": (
                "新乡市市场监督管理局“你点我检”抽检信息的只读开放数据。只提供已公告的信息"
                "（检验结果在公告发布后才公开）；不提供抽样人员、摊主个人姓名、投票人身份等信息。"
                "文字为空的字段为 null（公告与 CSV 中写作“/”）。列表按时间由新到旧、再按编号排序。"
            ),
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": {
                "BadRequest": _json_response("参数无效", _ref("Error")),
                "NotFound": _json_response("未找到", _ref("Error")),
            },
        },
    }
