-- The notices a candidate may see, defined once for every query that lists, marks or counts
-- them: announcements (kind 0) to the candidate's school, county or city or to the province,
-- and notices addressed to the candidate by name (notice_recipients, e.g. reminders).
CREATE FUNCTION visible_notices(candidate bigint) RETURNS TABLE (notice_id bigint)
LANGUAGE sql STABLE AS $$
  SELECT n.notice_id FROM notices n JOIN candidates c ON c.candidate_id = candidate
   WHERE n.kind = 0
     AND (n.unit_id IN (c.school_id, c.county_id, c.city_id)
          OR n.unit_id IN (SELECT u.id FROM units u WHERE u.level = 0))
  UNION
  SELECT r.notice_id FROM notice_recipients r WHERE r.candidate_id = candidate
$$;
