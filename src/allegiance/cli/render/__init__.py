"""The command line's terminal renderers (Rich tables and text): each takes a computed result
and prints it, computing nothing. ``core`` renders forecasts and scenarios, ``coalitions`` the
coalition and power reports, ``uncertainty`` Monte Carlo, sensitivity and timelines, ``levers``
the "what would it take" table, ``backtest`` the backtest's scores, and ``stored`` any stored
run through its command's renderer."""
