"""Python side of qopt: model builders and converters, evaluation helpers."""
