"""An outage is logged once when it starts and once when it ends, and retries back off."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.exc import OperationalError

from storage.outage import DelayedFlush, Outage, is_outage


def _down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def test_a_long_outage_writes_two_lines_and_backs_off(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage(logging.getLogger("koldo.test"), "The outbox", first_delay=0.5, max_delay=30)
    with caplog.at_level(logging.INFO, logger="koldo.test"):
        delays = [outage.failed(_down()) for _ in range(1000)]
        assert outage.down
        outage.succeeded()
    assert [record.levelname for record in caplog.records] == ["ERROR", "WARNING"]
    assert "unreachable" in caplog.records[0].getMessage()
    assert "answers again" in caplog.records[1].getMessage()
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == 30
    assert not outage.down and outage.failures == 0


def test_a_fault_that_is_no_outage_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage(logging.getLogger("koldo.test"), "The outbox")
    with caplog.at_level(logging.INFO, logger="koldo.test"):
        outage.failed(ValueError("a bug"))
        outage.failed(ValueError("a bug"))
    assert len(caplog.records) == 2
    assert all(record.exc_info for record in caplog.records)
    assert not outage.down


def test_what_counts_as_an_outage() -> None:
    assert is_outage(_down())
    assert is_outage(ConnectionRefusedError())
    assert not is_outage(ValueError("bad value"))


async def test_a_delayed_flush_waits_out_an_outage_then_goes_back_to_its_short_delay() -> None:
    batch: list[str] = []
    written: list[list[str]] = []
    failures = iter([_down(), _down()])

    async def flush() -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        written.append(list(batch))
        batch.clear()

    outage = Outage(logging.getLogger("koldo.test"), "Test writes", first_delay=0.01)
    flusher = DelayedFlush(flush, lambda: bool(batch), delay=0.01, outage=outage)
    batch.append("a")
    flusher.soon()
    await asyncio.sleep(0.2)  # two failures (0.01 s, then 0.02 s apart), then written
    assert written == [["a"]] and not outage.down
    batch.append("b")
    flusher.soon()
    await asyncio.sleep(0.05)  # the short delay again, not the last backoff
    assert written == [["a"], ["b"]]
    await flusher.stop()
