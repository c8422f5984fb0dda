# Copyright (c) ModelMetrics contributors. Licensed under the MIT License.
"""Reads a TensorBoard event file independently of ModelMetrics: TFRecord framing checked with python3-crc32c,
Event/Summary messages decoded by google.protobuf from descriptors declared here after TensorFlow's
event.proto and summary.proto. Prints JSON: the records read, and why reading stopped early (if it did)."""
import json
import struct
import sys

import crc32c
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def event_class():
    proto = descriptor_pb2.FileDescriptorProto(name="modelmetrics_test_event.proto", package="tensorboard", syntax="proto3")
    summary = proto.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.field.add(name="node_name", number=7, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    value.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    value.oneof_decl.add(name="value")
    value.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL, oneof_index=0)
    value.field.add(name="obsolete_old_style_histogram", number=3, type=F.TYPE_BYTES, label=F.LABEL_OPTIONAL, oneof_index=0)
    summary.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tensorboard.Summary.Value")
    event = proto.message_type.add(name="Event")
    event.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    event.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    event.oneof_decl.add(name="what")
    event.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    event.field.add(name="graph_def", number=4, type=F.TYPE_BYTES, label=F.LABEL_OPTIONAL, oneof_index=0)
    event.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, oneof_index=0, type_name=".tensorboard.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    descriptor = pool.FindMessageTypeByName("tensorboard.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def masked_crc(data):
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def main(path):
    Event = event_class()
    data = open(path, "rb").read()
    records, error, position = [], None, 0
    while position < len(data):
        if len(data) - position < 12:
            error = "truncated length"
            break
        (length,) = struct.unpack_from("<Q", data, position)
        (length_crc,) = struct.unpack_from("<I", data, position + 8)
        if masked_crc(data[position:position + 8]) != length_crc:
            error = "length crc"
            break
        end = position + 12 + length
        if end + 4 > len(data):
            error = "truncated data"
            break
        payload = data[position + 12:end]
        (payload_crc,) = struct.unpack_from("<I", data, end)
        if masked_crc(payload) != payload_crc:
            error = "data crc"
            break
        event = Event()
        event.ParseFromString(payload)
        record = {"wall_time": event.wall_time, "step": event.step, "what": event.WhichOneof("what")}
        if event.WhichOneof("what") == "file_version":
            record["file_version"] = event.file_version
        if event.WhichOneof("what") == "summary":
            record["values"] = {v.tag: v.simple_value for v in event.summary.value}
        records.append(record)
        position = end + 4
    print(json.dumps({"records": records, "error": error, "offset": position}))


if __name__ == "__main__":
    main(sys.argv[1])
