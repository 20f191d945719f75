-- Before building year $1 again.
DELETE FROM reporting_observatory_years WHERE year = $1;
