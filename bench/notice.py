"""Notice PDFs at scale: a notice with a QR code on every row beside the same notice without them.

Run with `.venv/bin/python bench/notice.py`. It needs no database, only the CJK font the app
embeds (WenQuanYi Micro Hei, or the font named by CJK_FONT_PATH), and takes 1-2 minutes.

1. For each size (100 and 1,000 samples) it builds one notice from fixed pseudo-random data:
   realistic Chinese producers, venues, addresses, foods, brands and batches (every seventh or
   so with long names that wrap over several lines), about 10% failed samples with one to three
   "项目║结果║标准值" failed items, a few rows from another task (named in the remark), and every
   row's URL the tracking page of a well-formed portion code (check symbol included).
2. It renders that notice with
   - ours: `app.publishing.notice_pdf.render_notice` (a QR code on every row), and
   - plain: `app.publishing.notice_pdf._render(data, font, row_qr=False)`, the same layout and
     rows with the QR cells left empty,
   one warm-up of each (it checks that ours, with its codes, is the larger file), then REPEATS
   measured renders, ours and plain interleaved (the order alternates), wall-clock time of the
   call. The empty QR cells let plain's rows be shorter (a row is at least as tall as its 14 mm
   code in ours), so plain has fewer pages: both counts are printed.
3. Then one more render of each under tracemalloc, for the peak of Python memory allocated during
   the render (tracemalloc slows the code down, so those runs are not timed).
4. It prints one line per size: rows, median seconds of ours and plain, their ratio, peak MiB of
   ours and plain, the pages and PDF sizes of each.

Its last line is `RESULT notice_1000 ratio=<ours median / plain median at 1,000 rows>
target<=2.0`; it exits non-zero, with no RESULT line, when a check fails.
"""

import io
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta

from pypdf import PdfReader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scratch import BenchError  # noqa: E402

from app.publishing.notice_pdf import NoticeData, NoticeRow, _render, render_notice  # noqa: E402
from app.sampling.codes import ALPHABET, BODY_LENGTH, check_symbol  # noqa: E402

SIZES = (100, 1000)
REPEATS = 5
TARGET_RATIO = 2.0
FAILED_SHARE = 0.10
SEED = 20260305

BASE_URL = "https://ndwj.xinxiang.gov.cn"
TASK = "2026年新乡市“你点我检”食品安全专项抽检"
OTHER_TASK = "2026年河南省食用农产品专项监督抽检"
LABS = (
    "新乡市食品药品检验所",
    "河南省食品药品检验所",
    "河南省产品质量监督检验院",
    "华测检测认证集团股份有限公司",
)

DISTRICTS = (
    ("红旗区", ("东关", "洪门镇", "向阳", "渠东")),
    ("卫滨区", ("胜利路", "中同街", "平原镇")),
    ("凤泉区", ("宝西", "大块镇", "耿黄镇")),
    ("牧野区", ("王村镇", "荣校路", "东干道")),
    ("新乡县", ("小冀镇", "七里营镇", "翟坡镇")),
    ("获嘉县", ("城关镇", "亢村镇")),
    ("原阳县", ("城关镇", "太平镇", "阳阿乡")),
    ("延津县", ("城关镇", "东屯镇")),
    ("封丘县", ("城关镇", "黄陵镇")),
    ("卫辉市", ("汲水镇", "后河镇")),
    ("辉县市", ("百泉", "孟庄镇", "胡桥")),
    ("长垣市", ("蒲西", "魏庄", "丁栾镇")),
)
VENUE_KINDS = (
    "农贸市场{n}号摊位",
    "综合批发市场{n}号",
    "生鲜超市",
    "购物广场",
    "便民超市（{n}号店）",
    "大酒店",
    "第一中学食堂",
    "实验小学食堂",
    "快餐店",
    "蔬菜店",
    "鲜肉店",
)
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
)
GIVEN = ("秀英", "建国", "桂兰", "志强", "丽娟", "国庆", "红梅", "海燕", "军", "伟", "静", "磊")
COMPANY_WORDS = (
    "丰源",
    "金谷",
    "中原",
    "牧野",
    "鑫盛",
    "华康",
    "宏达",
    "瑞丰",
    "绿源",
    "万家",
    "恒信",
)
COMPANY_KINDS = ("食品有限公司", "粮油有限公司", "调味品有限公司", "饮品有限公司", "食品厂")
PROVINCES = ("河南省", "河南省", "河南省", "山东省", "河北省", "江苏省")
CITIES = ("新乡市", "郑州市", "焦作市", "安阳市", "济南市", "石家庄市", "苏州市")
STREETS = ("人民路", "平原路", "金穗大道", "新中大道", "建设路", "工业大道", "胜利路", "和平大道")
# (food, category, specification, prepackaged, the failed items it may show, "；"-separated)
FOODS = (
    ("韭菜", "蔬菜", "", False, "腐霉利║0.52mg/kg║≤0.2mg/kg；毒死蜱║0.08mg/kg║≤0.02mg/kg"),
    ("豇豆", "蔬菜", "", False, "灭蝇胺║0.86mg/kg║≤0.5mg/kg；噻虫胺║0.21mg/kg║≤0.01mg/kg"),
    ("芹菜", "蔬菜", "", False, "毒死蜱║0.12mg/kg║≤0.05mg/kg；甲拌磷║0.03mg/kg║≤0.01mg/kg"),
    ("普通白菜（小白菜）", "蔬菜", "", False, "啶虫脒║1.6mg/kg║≤1mg/kg"),
    ("生姜", "蔬菜", "", False, "噻虫胺║0.45mg/kg║≤0.2mg/kg；铅（以Pb计）║0.19mg/kg║≤0.1mg/kg"),
    ("鸡蛋", "鲜蛋", "", False, "恩诺沙星║38.6μg/kg║不得检出；甲硝唑║1.2μg/kg║不得检出"),
    ("猪肉", "畜禽肉及副产品", "", False, "克伦特罗║0.6μg/kg║不得检出"),
    ("鸡肉", "畜禽肉及副产品", "", False, "恩诺沙星║212μg/kg║≤100μg/kg"),
    (
        "淡水鱼（草鱼）",
        "水产品",
        "",
        False,
        "孔雀石绿║2.1μg/kg║不得检出；恩诺沙星║156μg/kg║≤100μg/kg",
    ),
    ("香蕉", "水果类", "", False, "吡唑醚菌酯║0.31mg/kg║≤0.1mg/kg"),
    ("大米", "粮食加工品", "10kg/袋", True, "镉（以Cd计）║0.31mg/kg║≤0.2mg/kg"),
    ("小麦粉", "粮食加工品", "5kg/袋", True, "脱氧雪腐镰刀菌烯醇║1380μg/kg║≤1000μg/kg"),
    ("挂面", "粮食加工品", "800g/袋", True, "铅（以Pb计）║0.38mg/kg║≤0.2mg/kg"),
    (
        "花生油",
        "食用油、油脂及其制品",
        "5L/桶",
        True,
        "黄曲霉毒素B₁║32.4μg/kg║≤20μg/kg；酸价（KOH）║3.6mg/g║≤3mg/g",
    ),
    ("酱油", "调味品", "500mL/瓶", True, "氨基酸态氮║0.32g/100mL║≥0.4g/100mL"),
    ("老陈醋", "调味品", "420mL/瓶", True, "苯甲酸及其钠盐（以苯甲酸计）║1.2g/kg║≤1.0g/kg"),
    ("饮用天然矿泉水", "饮料", "550mL/瓶", True, "铜绿假单胞菌║5CFU/250mL║0CFU/250mL"),
    (
        "月饼（五仁）",
        "糕点",
        "100g/袋",
        True,
        "过氧化值（以脂肪计）║0.38g/100g║≤0.25g/100g；"
        "菌落总数║3.1×10⁵CFU/g║n=5,c=2,m=10⁴,M=10⁵CFU/g",
    ),
    ("油条", "餐饮食品", "", False, "铝的残留量（干样品，以Al计）║286mg/kg║≤100mg/kg"),
    (
        "复用餐饮具",
        "餐饮具",
        "",
        False,
        "大肠菌群║检出║不得检出；阴离子合成洗涤剂（以十二烷基苯磺酸钠计）║0.12mg/100cm²║不得检出",
    ),
)
BRANDS = (
    "金龙鱼",
    "鲁花",
    "福临门",
    "海天",
    "五得利",
    "今麦郎",
    "思念",
    "三全",
    "康师傅",
    "农夫山泉",
)
LONG_PRODUCER = (
    "新乡市牧野区王村镇{w}食品有限责任公司第二分公司（原新乡市红旗区洪门镇{w}食品加工厂）"
)
LONG_ADDRESS = "{p}{c}{d}{t}工业园区纬三路与经五路交叉口向东二百米路北第三幢一楼{n}号"


def portion_code(rng: random.Random) -> str:
    body = "".join(rng.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def make_row(rng: random.Random, index: int, failed: bool) -> NoticeRow:
    district, towns = DISTRICTS[index % len(DISTRICTS)]
    town = rng.choice(towns)
    person = rng.choice(SURNAMES) + rng.choice(GIVEN)
    venue = rng.choice(VENUE_KINDS).format(n=rng.randint(1, 180))
    food, category, spec, packaged, faults = FOODS[rng.randrange(len(FOODS))]
    long = rng.random() < 0.15
    word = rng.choice(COMPANY_WORDS)
    province, city = rng.choice(PROVINCES), rng.choice(CITIES)
    if packaged:
        producer = LONG_PRODUCER.format(w=word) if long else word + rng.choice(COMPANY_KINDS)
        producer = f"{city[:-1]}{producer}" if not long else producer
        producer_address = (
            LONG_ADDRESS.format(p=province, c=city, d="", t="", n=rng.randint(1, 99))
            if long
            else f"{province}{city}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        )
        brand = rng.choice(BRANDS)
        produced = date(2026, 1, 1) - timedelta(days=rng.randint(5, 200))
        batch = f"{produced.isoformat()} {rng.choice('ABCDEFGH')}{rng.randint(1000, 9999)}"
    else:
        producer, producer_address, brand = "", "", ""
        batch = (date(2026, 2, 1) + timedelta(days=rng.randint(0, 27))).isoformat()
    if venue.endswith("摊位") or venue.endswith("号"):
        business = f"新乡市{district}{town}{venue}（{person}）"
    else:
        business = f"新乡市{district}{person[0]}氏{venue}"
    if long:
        market = f"{rng.choice(COMPANY_WORDS)}农副产品综合批发市场有限公司"
        business = f"新乡市{district}{town}{market}{venue}（经营者：{person}）"
    business_address = (
        LONG_ADDRESS.format(p="河南省", c="新乡市", d=district, t=town, n=rng.randint(1, 99))
        if long
        else f"河南省新乡市{district}{town}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
    )
    failed_items = ""
    if failed:
        items = faults.split("；")
        failed_items = "；".join(rng.sample(items, rng.randint(1, len(items))))
    other_task = rng.random() < 0.03
    return NoticeRow(
        sample_number=f"NCP26410700{index + 1:06d}{rng.randint(0, 9)}",
        producer_name=producer,
        producer_address=producer_address,
        business_name=business,
        business_address=business_address,
        food_name=food,
        specification=spec,
        brand=brand,
        batch=batch,
        category=category,
        task_source=OTHER_TASK if other_task else TASK,
        lab=rng.choice(LABS),
        remark="复检" if rng.random() < 0.02 else "",
        failed_items=failed_items,
        url=f"{BASE_URL}/t/{portion_code(rng)}",
    )


def make_notice(rows: int) -> NoticeData:
    rng = random.Random(SEED + rows)
    failed_at = set(rng.sample(range(rows), round(rows * FAILED_SHARE)))
    made = [make_row(rng, index, index in failed_at) for index in range(rows)]
    passed = [row for row in made if not row.failed_items]
    failed = [row for row in made if row.failed_items]
    return NoticeData(
        number="新乡市市场监督管理局食品安全抽检信息公告 2026年第3期",
        title="关于2026年第3期食品安全监督抽检信息的公告",
        published_on=date(2026, 3, 5),
        task_source=TASK,
        introduction=(
            f"根据“{TASK}”安排，新乡市市场监督管理局组织抽检食品 {rows} 批次，"
            f"其中合格 {len(passed)} 批次，不合格 {len(failed)} 批次，检验结果公告如下。\n"
            "抽检结果仅代表所抽样品。"
        ),
        passed=passed,
        failed=failed,
        items_explanation="\n".join(
            f"{food}：{'、'.join(item.split('║')[0] for item in faults.split('；'))}。"
            for food, _category, _spec, _packaged, faults in FOODS
        ),
        verify_url=f"{BASE_URL}/notices/verify?number=2026-3",
    )


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def timed(render: Callable[[], bytes]) -> tuple[float, bytes]:
    started = time.perf_counter()
    pdf = render()
    return time.perf_counter() - started, pdf


def peak_mib(render: Callable[[], bytes]) -> float:
    """Peak of Python memory allocated while rendering, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        render()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def measure(rows: int, font: str | None) -> dict[str, float]:
    data = make_notice(rows)
    variants: dict[str, Callable[[], bytes]] = {
        "ours": lambda: render_notice(data, font),
        "plain": lambda: _render(data, font, row_qr=False),
    }
    _elapsed, ours_pdf = timed(variants["ours"])
    _elapsed, plain_pdf = timed(variants["plain"])
    if len(ours_pdf) <= len(plain_pdf):
        raise BenchError(f"{rows} rows: the PDF with QR codes is not larger than the one without")
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    order = list(variants)
    for repeat in range(REPEATS):
        for name in order if repeat % 2 == 0 else order[::-1]:
            times[name].append(timed(variants[name])[0])
    return {
        "rows": rows,
        "ours": statistics.median(times["ours"]),
        "plain": statistics.median(times["plain"]),
        "ours_mib": peak_mib(variants["ours"]),
        "plain_mib": peak_mib(variants["plain"]),
        "pages_ours": pages_of(ours_pdf),
        "pages_plain": pages_of(plain_pdf),
        "ours_kib": len(ours_pdf) / 1024,
        "plain_kib": len(plain_pdf) / 1024,
    }


def main() -> int:
    font = os.environ.get("CJK_FONT_PATH") or None
    try:
        results = {}
        for rows in SIZES:
            result = measure(rows, font)
            results[rows] = result
            print(
                f"rows={rows} ours_s={result['ours']:.2f} plain_s={result['plain']:.2f}"
                f" ratio={result['ours'] / result['plain']:.2f}"
                f" peak_mib_ours={result['ours_mib']:.1f} peak_mib_plain={result['plain_mib']:.1f}"
                f" pages_ours={result['pages_ours']} pages_plain={result['pages_plain']}"
                f" pdf_kib_ours={result['ours_kib']:.0f} pdf_kib_plain={result['plain_kib']:.0f}",
                flush=True,
            )
        last = results[SIZES[-1]]
        print(f"RESULT notice_1000 ratio={last['ours'] / last['plain']:.2f} target<={TARGET_RATIO}")
    except BenchError as error:
        print(f"bench-notice failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
