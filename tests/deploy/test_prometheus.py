"""deploy/prometheus: the configuration and the alert rules checked by Prometheus's own promtool,
and the rules unit-tested (tests/deploy/prometheus/rules_test.yml)."""

from __future__ import annotations

from pathlib import Path

from tests.support.deploy import DEPLOY, load_yaml, rule_expressions, run_tool, tool

PROMETHEUS = DEPLOY / "prometheus"
RULE_TESTS = Path(__file__).parent / "prometheus" / "rules_test.yml"
PROMTOOL_HINT = "Debian's `prometheus` package has it (.ci/run installs it)"

# What the operators must hear of (deploy/README.md, Alerts).
REQUIRED_ALERTS = {
    "VigieConsumerLagGrowing",  # consumer lag growing
    "VigieDeadLetters",  # the DLQ receives records
    "VigieOutboxGrowing",  # outbox depth growing
    "VigieNotificationFailures",  # notifications failing
    "VigieServiceDown",  # a service down
    "VigieHighErrorRate",  # 5xx rate
}


def test_the_configuration_and_its_rules_pass_promtool() -> None:
    promtool = tool("promtool", install_hint=PROMTOOL_HINT)
    run_tool([promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    run_tool([promtool, "check", "rules", str(PROMETHEUS / "rules.yml")])


def test_the_alert_rules_pass_their_unit_tests() -> None:
    promtool = tool("promtool", install_hint=PROMTOOL_HINT)
    run_tool([promtool, "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent)


def test_every_alert_is_unit_tested_firing_and_quiet() -> None:
    alerts = {name for name, _ in rule_expressions(load_yaml(PROMETHEUS / "rules.yml"))}
    assert alerts >= REQUIRED_ALERTS
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load_yaml(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert alerts - firing == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown quiet"


def test_every_service_is_scraped_under_its_name() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    ports = {"intake": 8081, "aggregator": 8082, "alerts": 8083, "reporting": 8084}
    for service, port in ports.items():
        # DNS discovery: every replica (the aggregator runs two) is a target of its own.
        (sd,) = jobs[service]["dns_sd_configs"]
        assert sd["names"] == [service]
        assert sd["port"] == port
    assert config["rule_files"] == ["rules.yml"]
