"""Panel/Bokeh dashboards: live monitor, strategy lab, reports."""
