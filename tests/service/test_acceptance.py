"""Acceptance: after serve + demo-seed, a police-listed payee is blocked and a clean one allowed."""

import re
import subprocess
import sys
from pathlib import Path

from tests.service.conftest import PROJECT_ROOT, Api, remittance, start_service


def test_demo_seed_then_block_and_allow(database_url: str, tmp_path: Path) -> None:
    seeded = subprocess.run(
        [sys.executable, "-m", "screening_service", "demo-seed", "--database", database_url],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    key = re.search(r"counter terminal \S+ key: (\S+)", seeded.stdout)
    assert key, seeded.stdout
    service = start_service(database_url, tmp_path)
    try:
        teller = Api(service.url, key.group(1)).signed_in()

        blocked = teller.screen(remittance(payee_account="6222000011112222337", payee_name="刘洋"))
        assert blocked.status_code == 201, blocked.text
        assert blocked.json()["decision"] == "block"
        police = [r for r in blocked.json()["reasons"] if r["source"] == "police_list"]
        assert police and "police list" in police[0]["message"]["en"]
        assert "公安机关" in police[0]["message"]["zh-CN"]

        clean = teller.screen(remittance())
        assert clean.status_code == 201, clean.text
        assert clean.json()["decision"] == "allow"
        assert clean.json()["reasons"] == []
        assert clean.json()["payee_name_check"] == {"outcome": "match", "name_on_record": None}
    finally:
        service.stop()
