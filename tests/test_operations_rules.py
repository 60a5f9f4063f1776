"""deploy/prometheus/alerts.yml and deploy/grafana/euregate.json: the rules load in Prometheus's
own checker and fire as meant (``promtool``, from Debian's ``prometheus``, which ``.ci/run``
installs), and every metric an alert or a panel names is one a running gateway exports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO, RunningGateway

ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "euregate.json"
ALERTS_TEST = REPO / "tests" / "data" / "alerts_test.yml"
METRIC = re.compile(r"\beuregate_[a-z0-9_]+\b")
SCRAPED = "up{"
"""An alert on Prometheus's own ``up`` series: whether the scrape answered at all."""
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def promtool() -> str:
    """Debian's promtool; on CI its absence is a failure (``.ci/run`` installs it), elsewhere
    only these two checks are skipped."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus")
        pytest.skip("promtool (Debian's prometheus) is not installed here")
    return found


def alert_expressions() -> dict[str, str]:
    loaded = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in loaded["groups"] for rule in group["rules"]}


def panel_expressions() -> dict[str, list[str]]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in dashboard["panels"]
    }


async def exported_names(gateway: RunningGateway) -> set[str]:
    """Every series name the gateway's /metrics can carry, by each family's type, whether or
    not it has samples yet."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{gateway.operations_url}/metrics") as response,
    ):
        text = await response.text()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def test_the_alert_rules_load_in_promtool() -> None:
    done = subprocess.run(
        [promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_expressions())} rules found" in done.stdout


def test_the_alerts_fire_on_made_up_series_as_meant() -> None:
    done = subprocess.run(
        [promtool(), "test", "rules", ALERTS_TEST.name],
        cwd=ALERTS_TEST.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alerts_cover_what_an_operator_must_hear_of() -> None:
    assert {
        "EuregateNotReady",
        "EuregateRequestsOverdue",
        "EuregateCourierStalled",
        "EuregateReviewBacklogOld",
        "EuregateCertificateExpiring",
        "EuregateCheckpointStale",
        "EuregateCheckpointNotWitnessed",
    } <= alert_expressions().keys()


async def test_every_metric_an_alert_or_a_panel_names_is_exported(
    gateway: RunningGateway,
) -> None:
    exported = await exported_names(gateway)
    named = {
        f"alert {alert}": set(METRIC.findall(expression))
        for alert, expression in alert_expressions().items()
        if not expression.startswith(SCRAPED)
    }
    named |= {
        f"panel {title}": {name for e in expressions for name in METRIC.findall(e)}
        for title, expressions in panel_expressions().items()
    }
    assert all(names for names in named.values()), "a rule or panel names no metric"
    missing = {where: names - exported for where, names in named.items() if names - exported}
    assert missing == {}
