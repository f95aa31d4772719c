"""Importing a lab's CSV: all or nothing, in UTF-8 or GBK, with a row-by-row error report."""

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.lab import services as lab
from app.lab.models import Result
from app.sampling.models import PortionKind
from app.sampling.services import receive
from tests.factories import make_lab, make_sample, make_user

HEADER = "抽样编号,检验项目,检验结果,结果单位,方法检出限,检出限单位,检验依据,判定依据\n"


@pytest.fixture
def received(app):
    with app.app_context():
        make_lab("新乡市食品检验所")
        analyst = make_user(Role.LAB_ANALYST, username="importer")
        samples = [make_sample(), make_sample()]
        for sample in samples:
            receive(sample.portions[0], analyst, utcnow())
        not_received = make_sample()
        db.session.commit()
        return {
            "numbers": [s.official_number for s in samples],
            "label": samples[1].portion(PortionKind.BACKUP).code,
            "items": [i.name for i in lab.items_for(samples[0])],
            "not_received": not_received.official_number,
        }


def _good_rows(data, skip_last: bool = False) -> str:
    rows = []
    items = data["items"][:-1] if skip_last else data["items"]
    for number in data["numbers"]:
        for index, item in enumerate(items):
            value = "未检出" if index % 2 else "0.01"
            rows.append(f"{number},{item},{value},mg/kg,0.005,mg/kg,GB 23200.8,GB 2763\n")
    return HEADER + "".join(rows)


def _results(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Result))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_a_good_file_imports_in_every_encoding(app, received, encoding):
    data = _good_rows(received).encode(encoding)
    with app.app_context():
        analyst = db.session.scalars(sa.select(User).where(User.username == "importer")).one()
        count = lab.import_results(data, analyst, utcnow())
        db.session.commit()
    assert count == 2 * len(received["items"]) == _results(app)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_a_mixed_file_imports_nothing_and_reports_every_bad_row(app, received, encoding):
    good = _good_rows(received, skip_last=True)
    last = received["items"][-1]
    bad = (
        f"DC26999999999999,腐霉利,0.1,mg/kg,,,,\n"
        f"{received['numbers'][0]},苏丹红,0.1,mg/kg,,,,\n"
        f"{received['numbers'][0]},{last},很少,mg/kg,,,,\n"
        f"{received['numbers'][1]},{last},0.1,mg/L,,,,\n"
        f"{received['not_received']},{last},0.1,mg/kg,,,,\n"
    )
    data = (good + bad).encode(encoding)
    first_bad = good.count("\n") + 1
    with app.app_context():
        analyst = db.session.scalars(sa.select(User).where(User.username == "importer")).one()
        with pytest.raises(lab.ImportRejected) as rejected:
            lab.import_results(data, analyst, utcnow())
        db.session.rollback()
    messages = [(error.line, error.message) for error in rejected.value.errors]
    assert [line for line, _ in messages] == list(range(first_bad, first_bad + 5))
    assert "没有编号为 DC26999999999999 的样品" in messages[0][1]
    assert "不检测“苏丹红”" in messages[1][1]
    assert "无法识别的检验结果" in messages[2][1]
    assert "无法与标准值单位 mg/kg 换算" in messages[3][1]
    assert "尚未接收" in messages[4][1]
    assert _results(app) == 0


def test_the_label_code_column_works_too(app, received):
    item = received["items"][0]
    data = f"标签编号,检验项目,检验结果,结果单位\n{received['label']},{item},未检出,mg/kg\n"
    with app.app_context():
        analyst = db.session.scalars(sa.select(User).where(User.username == "importer")).one()
        assert lab.import_results(data.encode(), analyst, utcnow()) == 1


def test_cli_import_prints_the_report_and_imports_nothing(app, runner, received, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + f"{received['numbers'][0]},苏丹红,1,mg/kg,,,,\n").encode("gbk"))
    result = runner.invoke(args=["lab", "import", str(bad), "--as", "importer"])
    assert result.exit_code == 1 and "第 2 行" in result.output and "苏丹红" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(_good_rows(received).encode("utf-8-sig"))
    result = runner.invoke(args=["lab", "import", str(good), "--as", "importer"])
    assert result.exit_code == 0 and f"imported {2 * len(received['items'])}" in result.output
