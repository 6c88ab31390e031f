{# A step number is unique within its session. #}
{% test unique_step_per_session(model) %}
select session, step from {{ model }} group by session, step having count(*) > 1
{% endtest %}
