"""Reports over stored scan results: the weekly compliance report (weekly.py figures, render.py output)."""
