"""Settings of the alerts process."""

from pydantic import AliasChoices, Field, SecretStr

from vigie.platform.settings import ServiceSettings


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class AlertsSettings(ServiceSettings):
    """Environment of the alerts service (docs/contract.md §1, §7) and its knobs."""

    port: int = Field(default=8083, validation_alias=_env("ALERTS_PORT", "port"))
    group_id: str = Field(default="alerts", validation_alias=_env("ALERTS_GROUP_ID", "group_id"))
    # Every rule is evaluated in full this often, so that windows sliding past old incidents
    # resolve alerts on time, and escalations and silence ends are noticed.
    sweep_interval_s: float = Field(
        default=60.0, gt=0, validation_alias=_env("ALERTS_SWEEP_INTERVAL_S", "sweep_interval_s")
    )
    # Notifications: concurrent sends, and how long one webhook or SMTP exchange may take, so
    # that a slow or dead endpoint never delays the others.
    delivery_concurrency: int = Field(
        default=32,
        ge=1,
        validation_alias=_env("ALERTS_DELIVERY_CONCURRENCY", "delivery_concurrency"),
    )
    delivery_timeout_s: float = Field(
        default=5.0, gt=0, validation_alias=_env("ALERTS_DELIVERY_TIMEOUT_S", "delivery_timeout_s")
    )
    # A claimed delivery not marked within this time (its process died) is sent again.
    delivery_lease_s: float = Field(
        default=60.0, gt=0, validation_alias=_env("ALERTS_DELIVERY_LEASE_S", "delivery_lease_s")
    )
    # The first retry comes after this delay, each next one after twice the previous (≤ 1 h).
    retry_base_s: float = Field(
        default=30.0, gt=0, validation_alias=_env("ALERTS_RETRY_BASE_S", "retry_base_s")
    )
    max_attempts: int = Field(
        default=8, ge=5, validation_alias=_env("ALERTS_MAX_ATTEMPTS", "max_attempts")
    )
    smtp_host: str | None = Field(
        default=None, validation_alias=_env("ALERTS_SMTP_HOST", "smtp_host")
    )
    smtp_port: int = Field(default=25, validation_alias=_env("ALERTS_SMTP_PORT", "smtp_port"))
    smtp_from: str = Field(
        default="vigie@localhost", validation_alias=_env("ALERTS_SMTP_FROM", "smtp_from")
    )
    smtp_username: str | None = Field(
        default=None, validation_alias=_env("ALERTS_SMTP_USERNAME", "smtp_username")
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=_env("ALERTS_SMTP_PASSWORD", "smtp_password")
    )
    smtp_starttls: bool = Field(
        default=False, validation_alias=_env("ALERTS_SMTP_STARTTLS", "smtp_starttls")
    )
    # Links in notifications open the dashboard on the alert's territory.
    dashboard_url: str = Field(
        default="http://127.0.0.1:8084/",
        validation_alias=_env("ALERTS_DASHBOARD_URL", "dashboard_url"),
    )
    # A signalement attaches the territory's situation report, fetched from reporting with the
    # caller's own key (GET {reporting_url}/v1/shared/territories/{id}/report.pdf).
    reporting_url: str = Field(
        default="http://127.0.0.1:8084",
        validation_alias=_env("VIGIE_REPORTING_URL", "reporting_url"),
    )
    reporting_timeout_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias=_env("ALERTS_REPORTING_TIMEOUT_S", "reporting_timeout_s"),
    )
    # Where partners reach this service for their acknowledgement links (None: the address the
    # signalement was asked on).
    public_url: str | None = Field(
        default=None, validation_alias=_env("ALERTS_PUBLIC_URL", "public_url")
    )
