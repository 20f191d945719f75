"""How a batch is cut before publishing: by the default partitioner's choice, then into record
batches the producer accepts, request order kept."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from vigie_intake.publisher import MAX_BATCH_BYTES, record_batches


def test_records_go_where_the_default_partitioner_puts_them_in_order() -> None:
    records = [(f"QN{i % 7:05d}M".encode(), str(i).encode()) for i in range(100)]
    partitions = [0, 1, 2, 3, 4, 5]
    partitioner = DefaultPartitioner()
    seen = []
    for partition, batches in record_batches(records, partitions):
        (batch,) = batches
        for message in batch:
            assert partitioner(message.key, partitions, partitions) == partition
        values = [int(m.body) for m in batch]
        assert values == sorted(values)
        seen += values
    assert sorted(seen) == list(range(100))


def test_a_partition_over_one_record_batch_is_cut() -> None:
    value = b"x" * 100_000
    huge = b"y" * (2 * MAX_BATCH_BYTES)
    records = [(b"QN09302M", value)] * 5 + [(b"QN09302M", huge), (b"QN09302M", value)]
    ((_, batches),) = record_batches(records, [0])
    assert [len(b) for b in batches] == [2, 2, 1, 1, 1]
    assert [m.body for m in batches[3]] == [huge]  # alone: a first record always fits
    for batch in batches:
        if len(batch) > 1:
            assert sum(len(m.body) for m in batch) < MAX_BATCH_BYTES
