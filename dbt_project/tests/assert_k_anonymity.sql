-- Policy: no analytics group describes fewer than k employees.
select * from {{ ref('daily_app_usage') }}
where employees < {{ env_var('SLUICE_K_ANONYMITY', '5') }}
