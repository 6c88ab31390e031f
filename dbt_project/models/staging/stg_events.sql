select *
from {{ source('private', 'eligible_events') }}
where partition_date = cast('{{ var("date") }}' as date)
