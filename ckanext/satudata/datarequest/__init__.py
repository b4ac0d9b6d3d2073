"""Data requests: a Forum member's data need walking the SOP's 11 steps.

``steps`` (what each step is and who acts), ``due`` (time standards and the
working-day calendar), ``access`` (who sees and does what), ``progress``
(recording steps, linking datasets, advancing steps 6-10 by themselves),
``notices`` (who is told) and ``reminders`` (``ckan satudata remind``).
"""
