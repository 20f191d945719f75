SELECT report_pdf FROM alert_mobilisations WHERE mobilisation_id = $1
