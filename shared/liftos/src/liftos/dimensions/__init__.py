"""Calendar and other dimensions joined onto marketing rows (``liftos.dimensions``).

- :func:`calendar_features` — one day's calendar fields, used by the stream enricher.
- :class:`CalendarDimension` — whole calendar tables (holidays, business days, peak seasons, retail
  events, seasonality) and the marketing features derived from campaign data.
"""

from liftos.dimensions.business_calendar import BusinessCalendar, PeakSeason
from liftos.dimensions.calendar import (
    CalendarFeatures,
    UnknownRegionError,
    calendar_features,
    public_holidays,
)
from liftos.dimensions.calendar_dimension import CALENDAR_FEATURES, CalendarDimension
from liftos.dimensions.marketing_features import MARKETING_FEATURES, add_marketing_features
from liftos.dimensions.retail_events import RETAIL_EVENTS, RetailEvent

__all__ = [
    "CALENDAR_FEATURES",
    "MARKETING_FEATURES",
    "RETAIL_EVENTS",
    "BusinessCalendar",
    "CalendarDimension",
    "CalendarFeatures",
    "PeakSeason",
    "RetailEvent",
    "UnknownRegionError",
    "add_marketing_features",
    "calendar_features",
    "public_holidays",
]
