-- PostgreSQL only (no SQLite counterpart): functions the store's PostgreSQL statements use where
-- SQLite has a built-in (src/store/dialect.ts, src/store/projection-store.ts).

-- A block header's logSize and recordCount as numbers; NULLs when the header is no JSON object or
-- a member is no JSON number (SQLite: json_valid(header) and json_extract's typed result).
CREATE FUNCTION provenant_header_counts(header text, OUT "logSize" numeric, OUT "recordCount" numeric)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  h json;
BEGIN
  h := CAST(header AS json);
  IF json_typeof(h) <> 'object' THEN RETURN; END IF;
  IF json_typeof(h -> 'logSize') = 'number' THEN "logSize" := CAST(h ->> 'logSize' AS numeric); END IF;
  IF json_typeof(h -> 'recordCount') = 'number' THEN "recordCount" := CAST(h ->> 'recordCount' AS numeric); END IF;
EXCEPTION WHEN others THEN
  "logSize" := NULL;
  "recordCount" := NULL;
END
$$;
