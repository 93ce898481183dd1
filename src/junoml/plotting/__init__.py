"""Summary figures, comparison tables, event displays and the environment record of the report."""

from junoml.plotting.displays import make_event_displays
from junoml.plotting.environment import write_environment_report
from junoml.plotting.style import PlotParams
from junoml.plotting.tables import make_comparison_table
from junoml.plotting.tasks import make_task_plots

__all__ = [
    "PlotParams",
    "make_comparison_table",
    "make_event_displays",
    "make_task_plots",
    "write_environment_report",
]
