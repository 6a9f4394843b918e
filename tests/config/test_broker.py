"""The embedded broker never hands a worker a message that is still being written."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from kombu import Connection
from kombu.transport.virtual import Empty

import config.broker
from config.env import broker_from_env, ensure_broker_folders


@pytest.fixture
def channel(tmp_path):
    url, options = broker_from_env(tmp_path, {})
    ensure_broker_folders(options)
    with Connection(url, transport=config.broker.TRANSPORT, transport_options=options) as connection:
        yield connection.default_channel


def test_a_message_is_invisible_to_consumers_until_it_is_whole(channel, monkeypatch):
    seen_while_writing = []
    real_dumps = config.broker.dumps

    def dumps_and_look(payload):
        # The moment the payload is being encoded, a consumer polling the folder finds nothing.
        try:
            seen_while_writing.append(channel._get("screening"))
        except Empty:
            seen_while_writing.append(None)
        return real_dumps(payload)

    monkeypatch.setattr(config.broker, "dumps", dumps_and_look)
    channel._put("screening", {"task": "request_screen", "args": [1]})

    assert seen_while_writing == [None]
    assert channel._get("screening") == {"task": "request_screen", "args": [1]}


def _produce(url: str, options: dict, count: int) -> None:
    with Connection(url, transport=config.broker.TRANSPORT, transport_options=options) as connection:
        for n in range(count):
            connection.default_channel._put("screening", {"n": n, "body": "x" * 50_000})


def test_a_worker_polling_while_another_process_writes_reads_every_message_whole_and_once(tmp_path):
    # Another process, as the web server is to the worker: kombu's own transport loses about a
    # third of these messages, read before they are written.
    url, options = broker_from_env(tmp_path, {})
    ensure_broker_folders(options)
    count, received, errors = 2000, [], []
    producer = multiprocessing.get_context("spawn").Process(target=_produce, args=(url, options, count))
    producer.start()
    deadline = time.monotonic() + 60
    with Connection(url, transport=config.broker.TRANSPORT, transport_options=options) as connection:
        while len(received) + len(errors) < count and time.monotonic() < deadline:
            try:
                received.append(connection.default_channel._get("screening")["n"])
            except Empty:
                continue
            except Exception as exc:  # noqa: BLE001 (what a worker would choke on)
                errors.append(exc)
    producer.join(timeout=30)

    assert errors == []
    assert sorted(received) == list(range(count))


def test_the_settings_select_it_for_the_embedded_broker_only():
    from django.conf import settings

    embedded = settings.CELERY_BROKER_URL.startswith("filesystem:")
    transport = settings.CELERY_BROKER_TRANSPORT
    assert transport == (config.broker.TRANSPORT if embedded else None)
