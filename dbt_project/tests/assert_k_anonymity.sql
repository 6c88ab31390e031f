-- Policy: no analytics group describes fewer than k employees.
select * from {{ ref('daily_app_usage') }}
where employees < {{ var('k_anonymity') }}
