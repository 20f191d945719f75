"""Mobilising partners from an alert (a signalement): the situation report fetched from
reporting, French e-mails to the territory's CLSPD partner contacts through the delivery
outbox, acknowledgement links, and the follow-up recorded in the alert's history, on alerts.v1
and in the audit log."""
