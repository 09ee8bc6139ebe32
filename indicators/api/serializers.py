"""Serializers of the indicators API (read only: results are computed, never posted)."""

from __future__ import annotations

from rest_framework import serializers

from indicators.models import DataQualityFinding, IndicatorValue


class IndicatorValueSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.SerializerMethodField()
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    # The stored ``reason`` is the engine's English note; users read the translated reason code.
    reason = serializers.CharField(source="reason_display", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "period",
            "indicator",
            "indicator_name",
            "unit",
            "variant",
            "basis",
            "segment",
            "segment_value",
            "value",
            "numerator",
            "denominator",
            "reason_code",
            "reason",
        ]

    def get_indicator_name(self, value: IndicatorValue) -> str:
        from django.utils.translation import get_language

        indicator = value.indicator
        language = (get_language() or "en")[:2]
        return str(getattr(indicator, f"name_{language}", "") or indicator.name_en)


class DataQualityFindingSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    # In the reader's language (the stored ``message`` is English); ``code`` stays the key.
    message = serializers.CharField(source="message_display", read_only=True)

    class Meta:
        model = DataQualityFinding
        fields = ["id", "period", "code", "severity", "message", "params"]
