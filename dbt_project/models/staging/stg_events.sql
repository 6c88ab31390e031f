select *
from {{ source('private', 'eligible_events') }}
where partition_date = cast('{{ env_var("SLUICE_PARTITION_DATE", "1970-01-01") }}' as date)
