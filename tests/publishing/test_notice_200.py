"""A notice of 200 samples, checked from the PDF itself: its text, its embedded font, and every
QR code decoding to a tracking page that answers with that sample."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.lab import services as lab
from app.publishing import services as publishing
from app.sampling import codes
from app.sampling.models import PortionKind
from app.sampling.services import receive, record_sample
from app.scheduling.models import PlanStatus, SamplingPlan, Task, TaskStatus, VenueRuleKind
from app.voting.models import CandidateKind
from tests.factories import make_lab, make_round, make_user, make_venue, sampling_record

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdffonts") is None,
    reason="needs poppler-utils (CI installs it)",
)
COUNT = 200


def _publish_200(app) -> tuple[bytes, dict[str, str]]:
    """200 verified samples (every tenth failed) over 8 foods and 25 venues, published."""
    with app.app_context():
        make_lab("新乡市食品药品检验所")
        inspectors = [make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)]
        analyst, reviewer = make_user(Role.LAB_ANALYST), make_user(Role.LAB_REVIEWER)
        round_ = make_round(foods=8, venues=0)
        foods = round_.candidates_of(CandidateKind.FOOD)
        venues = [make_venue() for _ in range(COUNT // len(foods))]
        plan = SamplingPlan(round_id=round_.id, made_by="test", status=PlanStatus.RELEASED)
        db.session.add(plan)
        now = utcnow()
        expected: dict[str, str] = {}
        samples = []
        for index in range(COUNT):
            task = Task(
                plan=plan,
                food_candidate_id=foods[index % len(foods)].id,
                venue_id=venues[index // len(foods)].id,
                status=TaskStatus.ASSIGNED,
                inspector_a_id=inspectors[0].id,
                inspector_b_id=inspectors[1].id,
                venue_rule=VenueRuleKind.ADDED_BY_PLANNER,
                due_on=date.today(),
            )
            db.session.add(task)
            db.session.flush()
            long_name = "新乡市某某某食品有限公司第一分公司生产车间" * (1 + index % 3)
            sample = record_sample(
                task,
                sampling_record(photos=[], producer_name=long_name, product_name=task.food.label),
                inspectors[0],
                now,
            )
            receive(sample.portion(PortionKind.TEST), analyst, now)
            report = lab.start_testing(sample, analyst, now)
            items = lab.items_for(sample)
            for item in items:
                failed = index % 10 == 0 and item == items[0]
                value = None
                if failed:
                    value = item.limit_value.normalize() * 10 if item.limit_value else Decimal("1")
                lab.enter_result(
                    report,
                    lab.ResultEntry(item.name, value, not failed, item.unit, Decimal("0.001")),
                    analyst,
                )
            lab.submit_report(report, analyst, now)
            lab.verify_report(report, reviewer, now)
            samples.append(sample)
            expected[sample.portion(PortionKind.TEST).code] = sample.official_number
        notice = publishing.publish_notice(
            samples,
            publishing.NoticeDraft("食品安全监督抽检信息", round_.title, date(2026, 11, 27)),
            make_user(Role.PUBLISHER),
            now,
        )
        db.session.commit()
        return notice.pdf, expected


def test_a_200_sample_notice_reads_back_from_its_pdf(app, client, tmp_path):
    pdf, expected = _publish_200(app)
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)

    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    flat = "".join(text.split())
    missing = [number for number in expected.values() if number not in flat]
    assert missing == []
    assert "以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目" in flat
    assert "不合格产品信息" in flat and "║" in flat

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]  # after the header and its rule
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # the "emb" column
    assert any("WenQuanYi" in row for row in rows)

    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", str(path), str(tmp_path / "page")], check=True
    )
    decoded = set()
    for image in sorted(tmp_path.glob("page*.pgm")):
        decoded |= {barcode.text for barcode in zxingcpp.read_barcodes(Image.open(image))}
    tracking = {url for url in decoded if "/t/" in url}
    assert {urlsplit(url).path.rsplit("/", 1)[1] for url in tracking} == set(expected)
    assert any("/notices/verify" in url for url in decoded)

    for url in sorted(tracking):
        code = urlsplit(url).path.rsplit("/", 1)[1]
        page = client.get(urlsplit(url).path)
        assert page.status_code == 200, url
        assert codes.display(code) in page.text and "检验结果" in page.text
