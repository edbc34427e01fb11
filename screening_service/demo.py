"""A realistic demo data set: listed accounts, a name directory, tellers, a supervisor and terminal keys."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from screening_service.admin import add_teller, issue_terminal_key
from screening_service.database import insert_for, write_transaction
from screening_service.schema import account_directory, listed_accounts

DEMO_BRANCH = "BJ0101"
DEMO_PASSWORD_TELLER = "teller-demo-1"
DEMO_PASSWORD_SUPERVISOR = "super-demo-1"


@dataclass(frozen=True)
class DemoTeller:
    teller_id: str
    name: str
    role: str
    password: str


DEMO_TELLERS = (
    DemoTeller("T1001", "李娜", "teller", DEMO_PASSWORD_TELLER),
    DemoTeller("T1002", "陈伟", "teller", DEMO_PASSWORD_TELLER),
    DemoTeller("S2001", "王芳", "supervisor", DEMO_PASSWORD_SUPERVISOR),
    DemoTeller("S2002", "赵强", "supervisor", DEMO_PASSWORD_SUPERVISOR),
)

# (account, source, bank, typology, reference): fictitious accounts, one per situation a teller meets.
DEMO_LISTINGS = (
    ("6222000011112222337", "police", "中国工商银行", "safe_account", "公安部 2026-0412"),
    ("6217000044445555669", "police", "中国建设银行", "investment", "公安部 2026-0977"),
    ("6228480077778888998", "police", "中国农业银行", "brushing", "公安部 2026-1203"),
    ("6214830012341234120", "peer", "招商银行", "loan_fee", "同业通报 CMB-26-311"),
    ("6226090056785678564", "peer", "民生银行", "romance", "同业通报 CMBC-26-078"),
    ("6216610098769876980", "internal", "中国银行", "refund", "本行报告 BJ0101-26-015"),
)

# The payee name directory (Confirmation of Payee) for the demo payees.
DEMO_DIRECTORY = (
    ("6222000011112222337", "刘洋", "中国工商银行"),
    ("6217000044445555669", "深圳市鑫盛投资咨询有限公司", "中国建设银行"),
    ("6214830012341234120", "周杰", "招商银行"),
    ("6212260200001234562", "王小明", "中国工商银行"),
    ("6225880188889999004", "张丽华", "招商银行"),
    ("6230580000112233445", "陈思远", "平安银行"),
)


@dataclass(frozen=True)
class DemoSeed:
    branch_id: str
    counter_terminal_id: str
    counter_key: str
    kiosk_terminal_id: str
    kiosk_key: str


def seed_demo(engine: Engine, counter_terminal: str = "BJ0101-C01") -> DemoSeed:
    """Idempotent: re-seeding resets the demo tellers and issues fresh terminal keys."""
    for teller in DEMO_TELLERS:
        add_teller(engine, teller.teller_id, teller.name, teller.role, DEMO_BRANCH, teller.password, True)
    insert = insert_for(engine)
    listed_on = date(2026, 11, 1)
    with write_transaction(engine) as connection:
        for account, source, bank, typology, reference in DEMO_LISTINGS:
            connection.execute(
                insert(listed_accounts)
                .values(
                    account_number=account,
                    source=source,
                    bank=bank,
                    typology=typology,
                    listed_on=listed_on,
                    reference=reference,
                )
                .on_conflict_do_nothing(index_elements=["account_number", "source"])
            )
        for account, name, bank in DEMO_DIRECTORY:
            connection.execute(
                insert(account_directory)
                .values(account_number=account, holder_name=name, bank=bank)
                .on_conflict_do_nothing(index_elements=["account_number"])
            )
    counter = issue_terminal_key(engine, counter_terminal, DEMO_BRANCH, "counter")
    kiosk = issue_terminal_key(engine, "BJ0101-K01", DEMO_BRANCH, "kiosk")
    return DemoSeed(DEMO_BRANCH, counter_terminal, counter.key, "BJ0101-K01", kiosk.key)
