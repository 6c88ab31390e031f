-- Policy: no analytics group describes fewer than k employees. k is the scope manifest's, read apart from the
-- k the model was built with (SLUICE_K_ANONYMITY): a model that suppressed with another k fails here. Unset
-- (dbt run by hand), every group fails: closed.
select * from {{ ref('daily_app_usage') }}
where employees < {{ env_var('SLUICE_POLICY_K_ANONYMITY', '2147483647') }}
