{# `column_name` is unique within each `group_by` value (a step within its session, a turn within its conversation). #}
{% test unique_within(model, column_name, group_by) %}
select {{ group_by }}, {{ column_name }} from {{ model }}
group by {{ group_by }}, {{ column_name }}
having count(*) > 1
{% endtest %}
