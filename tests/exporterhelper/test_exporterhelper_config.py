"""Config models of sending_queue / retry_on_failure / timeout: keys, defaults, aliases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from otelpy.exporterhelper import ExporterHelperSettings, QueueSettings, RetrySettings


def test_collector_defaults() -> None:
    cfg = ExporterHelperSettings()
    assert cfg.model_dump(mode="json") == {
        "timeout": "5s",
        "sending_queue": {"enabled": True, "num_consumers": 10, "queue_size": 1000,
                          "block_on_overflow": True, "overflow": "block", "storage": None,
                          "max_bytes": 0, "blocking": None, "sizer": "requests",
                          "wait_for_result": False, "batch": None},
        "retry_on_failure": {"enabled": True, "initial_interval": "5s",
                             "randomization_factor": 0.5, "multiplier": 1.5,
                             "max_interval": "30s", "max_elapsed_time": "5m"},
    }


@pytest.mark.parametrize(("given", "overflow", "block"), [
    ({}, "block", True),
    ({"block_on_overflow": False}, "drop_newest", False),
    ({"block_on_overflow": "false"}, "drop_newest", False),
    ({"block_on_overflow": True}, "block", True),
    ({"overflow": "drop_newest"}, "drop_newest", False),
    ({"overflow": "block", "block_on_overflow": True}, "block", True),
], ids=["default", "alias-false", "alias-string", "alias-true", "overflow-only", "both-agree"])
def test_overflow_and_block_on_overflow(given: dict, overflow: str, block: bool) -> None:
    q = QueueSettings.model_validate(given)
    assert (q.overflow, q.block_on_overflow) == (overflow, block)
    # a dump re-loads to the same settings (print-config round trip)
    assert QueueSettings.model_validate(q.model_dump(mode="json")) == q


def test_contradicting_overflow_keys_are_an_error() -> None:
    with pytest.raises(ValidationError, match="block_on_overflow: false contradicts "
                                              "overflow: block"):
        QueueSettings.model_validate({"overflow": "block", "block_on_overflow": False})


@pytest.mark.parametrize("bad", [{"queue_size": 0}, {"num_consumers": 0},
                                 {"overflow": "drop_oldest"}, {"sizer": "pages"},
                                 {"storage": "file storage"}, {"max_bytes": -1}],
                         ids=["queue_size", "num_consumers", "overflow", "bad-sizer",
                              "storage-id", "max_bytes"])
def test_queue_rejects(bad: dict) -> None:
    with pytest.raises(ValidationError):
        QueueSettings.model_validate(bad)


def test_durations_and_cross_field_rules() -> None:
    r = RetrySettings.model_validate({"initial_interval": "200ms", "max_interval": "1m30s",
                                      "max_elapsed_time": 0})
    assert (r.initial_interval, r.max_interval, r.max_elapsed_time) == (0.2, 90.0, 0.0)
    assert r.validate_config() == []
    bad = ExporterHelperSettings.model_validate(
        {"retry_on_failure": {"initial_interval": "10s", "max_elapsed_time": "5s"}})
    problems = bad.validate_config()
    assert problems == [
        "retry_on_failure.max_elapsed_time must not be less than "
        "retry_on_failure.initial_interval",
        "retry_on_failure.max_elapsed_time must not be less than retry_on_failure.max_interval",
    ]
    with pytest.raises(ValidationError):
        RetrySettings.model_validate({"randomization_factor": 1.5})
    with pytest.raises(ValidationError):
        ExporterHelperSettings.model_validate({"timeout": "5 seconds"})


def test_every_field_has_a_description() -> None:
    for model in (QueueSettings, RetrySettings, ExporterHelperSettings):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


@pytest.mark.parametrize(("queue", "problem"), [
    ({"storage": "file_storage/q", "enabled": False}, "needs sending_queue.enabled: true"),
    ({"max_bytes": 1000}, "applies to a persistent queue only"),
], ids=["storage-disabled", "max_bytes-in-memory"])
def test_persistent_queue_rules(queue: dict, problem: str) -> None:
    cfg = ExporterHelperSettings.model_validate({"sending_queue": queue})
    problems = cfg.validate_config()
    assert len(problems) == 1 and problem in problems[0]
    ok = ExporterHelperSettings.model_validate(
        {"sending_queue": {"storage": "file_storage/q", "max_bytes": 1000}})
    assert ok.validate_config() == [] and ok.sending_queue.storage == "file_storage/q"
