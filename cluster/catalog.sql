-- The Citus 13 metadata catalog (pg_dist_*) on plain PostgreSQL 15, plus the UDFs pgload/pgmove rely on.
-- Shapes match tests/golden/citus/catalog.txt (a real Citus 13 catalog); distributed tables are faked with postgres_fdw foreign
-- partitions on the coordinator (one per shard) over real shard tables on the workers created through dblink.
-- Loaded once into database postgres of the coordinator by `pgcluster up` (psql -1, ON_ERROR_STOP).

SET allow_system_table_mods = on;  -- Citus keeps these tables in pg_catalog; superuser only
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE EXTENSION IF NOT EXISTS dblink;

-- Helpers that are not part of Citus live apart from pg_catalog.
CREATE SCHEMA pgcluster;
COMMENT ON SCHEMA pgcluster IS 'internals of the local Citus-shaped cluster (not Citus API)';

CREATE TYPE pg_catalog.noderole AS ENUM ('primary', 'secondary', 'unavailable');

CREATE SEQUENCE pg_catalog.pg_dist_shardid_seq MINVALUE 102008 NO CYCLE;
CREATE SEQUENCE pg_catalog.pg_dist_placement_placementid_seq NO CYCLE;
CREATE SEQUENCE pg_catalog.pg_dist_groupid_seq MINVALUE 1 MAXVALUE 4294967296;
CREATE SEQUENCE pg_catalog.pg_dist_node_nodeid_seq MINVALUE 1 MAXVALUE 4294967296;
CREATE SEQUENCE pg_catalog.pg_dist_colocationid_seq MINVALUE 1 MAXVALUE 4294967296;
CREATE SEQUENCE pg_catalog.pg_dist_operationid_seq MINVALUE 1 NO CYCLE;
CREATE SEQUENCE pg_catalog.pg_dist_cleanup_recordid_seq MINVALUE 1 NO CYCLE;

CREATE TABLE pg_catalog.pg_dist_partition (
  logicalrelid regclass NOT NULL,
  partmethod "char" NOT NULL,
  partkey text,
  colocationid integer NOT NULL DEFAULT 0,
  repmodel "char" NOT NULL DEFAULT 'c',
  autoconverted boolean DEFAULT false
);
CREATE INDEX pg_dist_partition_colocationid_index ON pg_catalog.pg_dist_partition (colocationid);
CREATE UNIQUE INDEX pg_dist_partition_logical_relid_index ON pg_catalog.pg_dist_partition (logicalrelid);
ALTER TABLE pg_catalog.pg_dist_partition REPLICA IDENTITY USING INDEX pg_dist_partition_logical_relid_index;

CREATE TABLE pg_catalog.pg_dist_shard (
  logicalrelid regclass NOT NULL,
  shardid bigint NOT NULL,
  shardstorage "char" NOT NULL,
  shardminvalue text,
  shardmaxvalue text
);
CREATE INDEX pg_dist_shard_logical_relid_index ON pg_catalog.pg_dist_shard (logicalrelid);
CREATE UNIQUE INDEX pg_dist_shard_shardid_index ON pg_catalog.pg_dist_shard (shardid);
ALTER TABLE pg_catalog.pg_dist_shard REPLICA IDENTITY USING INDEX pg_dist_shard_shardid_index;

CREATE TABLE pg_catalog.pg_dist_placement (
  placementid bigint NOT NULL DEFAULT nextval('pg_catalog.pg_dist_placement_placementid_seq'),
  shardid bigint NOT NULL,
  shardstate integer NOT NULL,
  shardlength bigint NOT NULL,
  groupid integer NOT NULL,
  CONSTRAINT placement_shardid_groupid_unique_index UNIQUE (shardid, groupid)
);
CREATE INDEX pg_dist_placement_groupid_index ON pg_catalog.pg_dist_placement (groupid);
CREATE UNIQUE INDEX pg_dist_placement_placementid_index ON pg_catalog.pg_dist_placement (placementid);
CREATE INDEX pg_dist_placement_shardid_index ON pg_catalog.pg_dist_placement (shardid);
ALTER TABLE pg_catalog.pg_dist_placement REPLICA IDENTITY USING INDEX pg_dist_placement_placementid_index;

CREATE TABLE pg_catalog.pg_dist_node (
  nodeid integer NOT NULL DEFAULT nextval('pg_catalog.pg_dist_node_nodeid_seq'),
  groupid integer NOT NULL DEFAULT nextval('pg_catalog.pg_dist_groupid_seq'),
  nodename text NOT NULL,
  nodeport integer NOT NULL DEFAULT 5432,
  noderack text NOT NULL DEFAULT 'default',
  hasmetadata boolean NOT NULL DEFAULT false,
  isactive boolean NOT NULL DEFAULT true,
  noderole pg_catalog.noderole NOT NULL DEFAULT 'primary',
  nodecluster name NOT NULL DEFAULT 'default',
  metadatasynced boolean DEFAULT false,
  shouldhaveshards boolean NOT NULL DEFAULT true,
  CONSTRAINT pg_dist_node_pkey PRIMARY KEY (nodeid),
  CONSTRAINT pg_dist_node_nodename_nodeport_key UNIQUE (nodename, nodeport),
  CONSTRAINT primaries_are_only_allowed_in_the_default_cluster
    CHECK (NOT (nodecluster <> 'default'::name AND noderole = 'primary'::pg_catalog.noderole))
);
COMMENT ON COLUMN pg_catalog.pg_dist_node.metadatasynced IS 'indicates whether the node has the most recent metadata';
COMMENT ON COLUMN pg_catalog.pg_dist_node.shouldhaveshards IS
  'indicates whether the node is eligible to contain data from distributed tables';

CREATE TABLE pg_catalog.pg_dist_colocation (
  colocationid integer NOT NULL,
  shardcount integer NOT NULL,
  replicationfactor integer NOT NULL,
  distributioncolumntype oid NOT NULL,
  distributioncolumncollation oid NOT NULL,
  CONSTRAINT pg_dist_colocation_pkey PRIMARY KEY (colocationid)
);
CREATE INDEX pg_dist_colocation_configuration_index ON pg_catalog.pg_dist_colocation
  (distributioncolumntype, shardcount, replicationfactor, distributioncolumncollation);

-- Deferred drops (Citus leaves the source of a move here); pgmove may use it the same way.
CREATE TABLE pg_catalog.pg_dist_cleanup (
  record_id bigint NOT NULL,
  operation_id bigint NOT NULL,
  object_type integer NOT NULL,
  object_name text NOT NULL,
  node_group_id integer NOT NULL,
  policy_type integer NOT NULL,
  CONSTRAINT pg_dist_cleanup_pkey PRIMARY KEY (record_id)
);

-- Citus creates these outside pg_catalog and moves them in, so they keep REPLICA IDENTITY DEFAULT (psql: "???").
ALTER TABLE pg_catalog.pg_dist_node REPLICA IDENTITY DEFAULT;
ALTER TABLE pg_catalog.pg_dist_colocation REPLICA IDENTITY DEFAULT;
ALTER TABLE pg_catalog.pg_dist_cleanup REPLICA IDENTITY DEFAULT;

-- Strategy functions referenced (as regproc) by pg_dist_rebalance_strategy.
CREATE FUNCTION pg_catalog.citus_shard_cost_1(bigint) RETURNS float4
  LANGUAGE sql IMMUTABLE AS $$ SELECT 1.0::float4 $$;
CREATE FUNCTION pg_catalog.citus_node_capacity_1(integer) RETURNS float4
  LANGUAGE sql IMMUTABLE AS $$ SELECT 1.0::float4 $$;
CREATE FUNCTION pg_catalog.citus_shard_allowed_on_node_true(bigint, integer) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;

CREATE TABLE pg_catalog.pg_dist_rebalance_strategy (
  name name NOT NULL,
  default_strategy boolean NOT NULL DEFAULT false,
  shard_cost_function regproc NOT NULL,
  node_capacity_function regproc NOT NULL,
  shard_allowed_on_node_function regproc NOT NULL,
  default_threshold float4 NOT NULL,
  minimum_threshold float4 NOT NULL DEFAULT 0,
  improvement_threshold float4 NOT NULL DEFAULT 0,
  UNIQUE (name)
);
ALTER TABLE pg_catalog.pg_dist_rebalance_strategy REPLICA IDENTITY DEFAULT;

-- ---------------------------------------------------------------------------------------------------------
-- Internals
-- ---------------------------------------------------------------------------------------------------------

-- libpq conninfo of a node: same database and user postgres (trust auth in the local cluster).
CREATE FUNCTION pgcluster.node_conninfo(p_nodename text, p_nodeport integer) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT format('host=''%s'' port=%s dbname=''%s'' user=postgres',
                replace(p_nodename, '''', '\'''), p_nodeport, replace(current_database(), '''', '\'''))
$$;

CREATE FUNCTION pgcluster.group_conninfo(p_groupid integer) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT pgcluster.node_conninfo(nodename, nodeport) FROM pg_catalog.pg_dist_node
  WHERE groupid = p_groupid AND noderole = 'primary' ORDER BY nodeid LIMIT 1
$$;

CREATE FUNCTION pgcluster.server_name(p_nodeid integer) RETURNS name
LANGUAGE sql IMMUTABLE AS $$ SELECT ('pg_dist_node_' || p_nodeid)::name $$;

-- Every pg_dist_node row gets a postgres_fdw server (pg_dist_node_<nodeid>) and a user mapping.
CREATE FUNCTION pgcluster.pg_dist_node_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  srv name := pgcluster.server_name(NEW.nodeid);
BEGIN
  IF TG_OP = 'INSERT' OR NOT EXISTS (SELECT 1 FROM pg_foreign_server WHERE srvname = srv) THEN
    EXECUTE format('CREATE SERVER IF NOT EXISTS %I FOREIGN DATA WRAPPER postgres_fdw '
                   'OPTIONS (host %L, port %L, dbname %L, batch_size %L)',
                   srv, NEW.nodename, NEW.nodeport::text, current_database(), '1000');
    EXECUTE format('CREATE USER MAPPING IF NOT EXISTS FOR PUBLIC SERVER %I OPTIONS (user %L)', srv, 'postgres');
  ELSIF NEW.nodename IS DISTINCT FROM OLD.nodename OR NEW.nodeport IS DISTINCT FROM OLD.nodeport THEN
    EXECUTE format('ALTER SERVER %I OPTIONS (SET host %L, SET port %L)', srv, NEW.nodename, NEW.nodeport::text);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER pg_dist_node_fdw_server AFTER INSERT OR UPDATE ON pg_catalog.pg_dist_node
  FOR EACH ROW EXECUTE FUNCTION pgcluster.pg_dist_node_after_change();

-- The default hash opclass functions that SQL cannot call on these types directly (date and timestamptz share
-- int4's and timestamp's, bool uses "char"'s, bytea's takes internal): the same C functions under typed names.
CREATE FUNCTION pgcluster.hash_date(date) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'hashint4';
CREATE FUNCTION pgcluster.hash_timestamptz(timestamptz) RETURNS int4
  LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'timestamp_hash';
CREATE FUNCTION pgcluster.hash_bool(bool) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'hashchar';
CREATE FUNCTION pgcluster.hash_bytea(bytea) RETURNS int4
  LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'hashvarlena';

-- Hash function (by name) for a supported distribution column type, NULL if unsupported.
CREATE FUNCTION pgcluster.hash_function(p_type oid) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_type = 'int8'::regtype THEN 'hashint8'
    WHEN p_type = 'int4'::regtype THEN 'hashint4'
    WHEN p_type = 'int2'::regtype THEN 'hashint2'
    WHEN p_type = 'text'::regtype THEN 'hashtext'
    WHEN p_type = 'varchar'::regtype THEN 'hashtext'
    WHEN p_type = 'uuid'::regtype THEN 'uuid_hash'
    WHEN p_type = 'date'::regtype THEN 'pgcluster.hash_date'
    WHEN p_type = 'time'::regtype THEN 'time_hash'
    WHEN p_type = 'timestamp'::regtype THEN 'timestamp_hash'
    WHEN p_type = 'timestamptz'::regtype THEN 'pgcluster.hash_timestamptz'
    WHEN p_type = 'numeric'::regtype THEN 'hash_numeric'
    WHEN p_type = 'bool'::regtype THEN 'pgcluster.hash_bool'
    WHEN p_type = 'float4'::regtype THEN 'hashfloat4'
    WHEN p_type = 'float8'::regtype THEN 'hashfloat8'
    WHEN p_type = 'oid'::regtype THEN 'hashoid'
    WHEN p_type = 'bytea'::regtype THEN 'pgcluster.hash_bytea'
    WHEN p_type = 'jsonb'::regtype THEN 'jsonb_hash'
    WHEN p_type IN ('inet'::regtype, 'cidr'::regtype) THEN 'hashinet'
    WHEN (SELECT typtype FROM pg_type WHERE oid = p_type) = 'e' THEN 'hashenum'
  END
$$;

-- SQL expression hashing column p_col (already quoted) of type p_type; varchar is hashed as text like Citus.
CREATE FUNCTION pgcluster.hash_expression(p_type oid, p_col text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT pgcluster.hash_function(p_type) || '(' || p_col ||
         CASE WHEN p_type = 'varchar'::regtype THEN '::text' ELSE '' END || ')'
$$;

-- Column definitions of a table for CREATE TABLE: type, collation, NOT NULL, defaults (not nextval ones or identity
-- on shards: sequences stay on the coordinator, as in Citus), stored generated columns.
CREATE FUNCTION pgcluster.column_definitions(p_table regclass, p_keep_sequence_defaults boolean) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT string_agg(
           quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                   THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
           || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
                   WHEN a.attidentity <> '' AND p_keep_sequence_defaults
                   THEN ' GENERATED ' || CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END || ' AS IDENTITY'
                   WHEN d.adbin IS NOT NULL AND (p_keep_sequence_defaults
                                                 OR pg_get_expr(d.adbin, d.adrelid) NOT LIKE '%nextval(%')
                   THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
           ', ' ORDER BY a.attnum)
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- The schema and name of a relation, for the functions below that build names from them.
CREATE FUNCTION pgcluster.relation_parts(p_rel regclass, OUT nsp text, OUT rel text)
LANGUAGE sql STABLE AS $$
  SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_rel
$$;

-- The name Citus gives shard p_shardid of a table, index or constraint named p_name (AppendShardIdToName in
-- Citus's relay_event_utility.c; pgload's common/shard_name.cpp is the same rule): p_name_<shardid>, or, when that
-- would pass 63 bytes, the longest whole-character prefix of 63 - 9 - len('_<shardid>') bytes, '_', 8 hex digits
-- of hash_any(p_name) (= hashtext under a deterministic collation) and '_<shardid>'.
CREATE FUNCTION pgcluster.shard_name(p_name text, p_shardid bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  suffix text := '_' || p_shardid;
  clip text := p_name;
BEGIN
  IF octet_length(p_name) < 64 - octet_length(suffix) THEN
    RETURN p_name || suffix;
  END IF;
  WHILE octet_length(clip) > 64 - octet_length(suffix) - 10 LOOP
    clip := left(clip, -1);
  END LOOP;
  RETURN clip || '_' || lpad(to_hex(hashtext(p_name COLLATE "C")), 8, '0') || suffix;
END
$$;

-- Statements that create shard p_shardid of p_table (schema, table, constraints, indexes) on a worker.
-- Names get the _<shardid> suffix like Citus: payment_users_pkey -> payment_users_pkey_102008.
CREATE FUNCTION pgcluster.shard_ddl(p_table regclass, p_shardid bigint) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  nsp text;
  rel text;
  shard text;
  ddl text[];
  r record;
  prefix text;
  rest text;
BEGIN
  SELECT * INTO nsp, rel FROM pgcluster.relation_parts(p_table);
  shard := quote_ident(nsp) || '.' || quote_ident(pgcluster.shard_name(rel, p_shardid));
  ddl := ARRAY[format('CREATE SCHEMA IF NOT EXISTS %I', nsp),
               format('CREATE TABLE %s (%s)', shard, pgcluster.column_definitions(p_table, false))];
  FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
           WHERE conrelid = p_table AND contype IN ('c', 'p', 'u', 'x') ORDER BY contype DESC, conname LOOP
    ddl := ddl || format('ALTER TABLE %s ADD CONSTRAINT %I %s', shard, pgcluster.shard_name(r.conname, p_shardid), r.def);
  END LOOP;
  -- Indexes that no constraint owns: re-aim pg_get_indexdef's text at the shard.
  FOR r IN SELECT ic.relname AS idxname, i.indisunique, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           WHERE i.indrelid = p_table
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = p_table)
           ORDER BY ic.relname LOOP
    prefix := 'CREATE ' || CASE WHEN r.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(r.idxname)
              || ' ON ' || quote_ident(nsp) || '.' || quote_ident(rel) || ' ';
    IF left(r.def, length(prefix)) = prefix THEN
      rest := substr(r.def, length(prefix) + 1);
    ELSE
      rest := substr(r.def, strpos(r.def, ' USING ') + 1);
    END IF;
    ddl := ddl || format('CREATE %sINDEX %I ON %s %s', CASE WHEN r.indisunique THEN 'UNIQUE ' ELSE '' END,
                         pgcluster.shard_name(r.idxname, p_shardid), shard, rest);
  END LOOP;
  RETURN ddl;
END
$$;

CREATE FUNCTION pgcluster.run_on_group(p_groupid integer, p_statements text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  conn text := pgcluster.group_conninfo(p_groupid);
BEGIN
  IF conn IS NULL THEN
    RAISE EXCEPTION 'no primary node in group %', p_groupid;
  END IF;
  PERFORM dblink_exec(conn, array_to_string(p_statements, '; '));
END
$$;

-- Creates the coordinator's partition for a shard: a partitioned table named like the shard, whose one (DEFAULT)
-- partition is the foreign table pgcluster.<shard name> on the primary node of p_groupid. A move locks that
-- partitioned table (a foreign table cannot be locked) and re-points the shard below it: writes to this shard wait
-- there, while writes and moves of the other shards go on. p_bound is a bound clause of p_table (FOR VALUES ... /
-- DEFAULT).
CREATE FUNCTION pgcluster.create_shard_face(p_table regclass, p_shardid bigint, p_groupid integer, p_bound text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
BEGIN
  SELECT * INTO nsp, rel FROM pgcluster.relation_parts(p_table);
  EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s %s PARTITION BY %s', nsp, pgcluster.shard_name(rel, p_shardid),
                 p_table, p_bound, pg_get_partkeydef(p_table));
  PERFORM pgcluster.create_shard_remote(format('%I.%I', nsp, pgcluster.shard_name(rel, p_shardid))::regclass,
                                        p_groupid);
END
$$;

-- The foreign partition of a shard's coordinator partition p_face, on the primary node of p_groupid; the shard table
-- there has p_face's schema and name.
CREATE FUNCTION pgcluster.create_shard_remote(p_face regclass, p_groupid integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
  node integer;
BEGIN
  SELECT * INTO nsp, rel FROM pgcluster.relation_parts(p_face);
  SELECT nodeid INTO node FROM pg_catalog.pg_dist_node WHERE groupid = p_groupid AND noderole = 'primary'
  ORDER BY nodeid LIMIT 1;
  IF node IS NULL THEN
    RAISE EXCEPTION 'no primary node in group %', p_groupid;
  END IF;
  EXECUTE format('CREATE FOREIGN TABLE pgcluster.%I PARTITION OF %s DEFAULT SERVER %I OPTIONS (schema_name %L, '
                 'table_name %L)', rel, p_face, pgcluster.server_name(node), nsp, rel);
END
$$;

-- The foreign table that stands for a shard on the coordinator (the DEFAULT partition of its coordinator partition).
CREATE FUNCTION pgcluster.shard_face(p_shardid bigint) RETURNS regclass
LANGUAGE sql STABLE AS $$
  SELECT f.ftrelid::regclass
  FROM pg_catalog.pg_dist_shard s
  JOIN pg_class l ON l.oid = s.logicalrelid
  JOIN pg_class c ON c.relnamespace = 'pgcluster'::regnamespace AND c.relname = pgcluster.shard_name(l.relname, s.shardid)
  JOIN pg_foreign_table f ON f.ftrelid = c.oid
  WHERE s.shardid = p_shardid
$$;

-- Re-points a shard's foreign partition to the node that now holds it (first placement in node order), so moving a
-- shard is just a catalog update. Runs in the caller's transaction; locks the shard's coordinator partition only.
CREATE FUNCTION pgcluster.repoint_shard(p_shardid bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  face regclass := pgcluster.shard_face(p_shardid);
  target integer;
  target_group integer;
  current_server name;
  parent regclass;
BEGIN
  IF face IS NULL THEN
    RETURN;  -- the table is being created or dropped
  END IF;
  SELECT n.nodeid, n.groupid INTO target, target_group
  FROM pg_catalog.pg_dist_placement p JOIN pg_catalog.pg_dist_node n ON n.groupid = p.groupid
  WHERE p.shardid = p_shardid AND n.noderole = 'primary'
  ORDER BY n.nodename, n.nodeport LIMIT 1;
  IF target IS NULL THEN
    RETURN;  -- no placement left (e.g. between DELETE and INSERT); keep the old one
  END IF;
  SELECT s.srvname INTO current_server
  FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE f.ftrelid = face;
  IF current_server = pgcluster.server_name(target) THEN
    RETURN;
  END IF;
  SELECT i.inhparent::regclass INTO parent FROM pg_inherits i WHERE i.inhrelid = face;
  EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, face);
  EXECUTE format('DROP FOREIGN TABLE %s', face);
  PERFORM pgcluster.create_shard_remote(parent, target_group);
END
$$;

CREATE FUNCTION pgcluster.pg_dist_placement_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pgcluster.repoint_shard(OLD.shardid);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM pgcluster.repoint_shard(NEW.shardid);
  ELSIF NEW.groupid IS DISTINCT FROM OLD.groupid OR NEW.shardid IS DISTINCT FROM OLD.shardid THEN
    PERFORM pgcluster.repoint_shard(NEW.shardid);
    IF NEW.shardid IS DISTINCT FROM OLD.shardid THEN
      PERFORM pgcluster.repoint_shard(OLD.shardid);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER pg_dist_placement_repoint AFTER INSERT OR UPDATE OR DELETE ON pg_catalog.pg_dist_placement
  FOR EACH ROW EXECUTE FUNCTION pgcluster.pg_dist_placement_after_change();

-- Replaces the coordinator table p_table by a partitioned "face" with the same name and columns, partitioned by
-- p_partition_by; the caller adds the foreign partitions, then calls pgcluster.finish_face to move the rows.
-- Returns the old table (renamed) and the new one.
CREATE FUNCTION pgcluster.begin_face(p_table regclass, p_partition_by text, OUT old_table regclass,
                                     OUT new_table regclass)
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
  tmp text;
  owner text;
BEGIN
  SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) INTO nsp, rel, owner
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_table;
  tmp := left(rel, 40) || '_pgcluster_' || p_table::oid;
  EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', nsp, rel, tmp);
  old_table := format('%I.%I', nsp, tmp)::regclass;
  EXECUTE format('CREATE TABLE %I.%I (%s) PARTITION BY %s', nsp, rel,
                 pgcluster.column_definitions(old_table, true), p_partition_by);
  new_table := format('%I.%I', nsp, rel)::regclass;
  EXECUTE format('ALTER TABLE %s OWNER TO %I', new_table, owner);
END
$$;

CREATE FUNCTION pgcluster.finish_face(p_old regclass, p_new regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cols text;
  r record;
BEGIN
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = p_old AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s', p_new, cols, cols, p_old);
  -- identity columns got new sequences: carry on from where the old ones stood
  FOR r IN SELECT a.attname FROM pg_attribute a WHERE a.attrelid = p_old AND a.attidentity <> '' AND NOT a.attisdropped LOOP
    EXECUTE format('SELECT setval(%L, last_value, is_called) FROM %s', pg_get_serial_sequence(p_new::text, r.attname),
                   pg_get_serial_sequence(p_old::text, r.attname));
  END LOOP;
  -- serial columns: hand their sequences over before the old table (their owner) is dropped
  FOR r IN SELECT d.objid::regclass AS seq, a.attname
           FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
           WHERE d.refobjid = p_old AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
             AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S' LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', r.seq, p_new, r.attname);
  END LOOP;
  EXECUTE format('DROP TABLE %s', p_old);
END
$$;

-- Creates shard tables on their nodes; on failure drops what it created (dblink commits each statement).
CREATE FUNCTION pgcluster.create_shard_tables(p_table regclass, p_shards bigint[], p_groups integer[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  done integer := 0;
  nsp text;
  rel text;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_shards, 1), 0) LOOP
    PERFORM pgcluster.run_on_group(p_groups[i], pgcluster.shard_ddl(p_table, p_shards[i]));
    done := i;
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  SELECT * INTO nsp, rel FROM pgcluster.relation_parts(p_table);
  FOR i IN 1 .. done LOOP
    BEGIN
      PERFORM pgcluster.run_on_group(p_groups[i], ARRAY[format('DROP TABLE IF EXISTS %I.%I', nsp, pgcluster.shard_name(rel, p_shards[i]))]);
    EXCEPTION WHEN OTHERS THEN NULL;  -- best effort; the original error matters
    END;
  END LOOP;
  RAISE;
END
$$;

CREATE FUNCTION pgcluster.worker_groups() RETURNS integer[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(groupid ORDER BY nodename, nodeport), '{}') FROM pg_catalog.pg_dist_node
  WHERE shouldhaveshards AND isactive AND noderole = 'primary' AND groupid <> 0
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Citus API
-- ---------------------------------------------------------------------------------------------------------

CREATE FUNCTION pg_catalog.column_to_column_name(table_name regclass, column_var_text text) RETURNS text
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
  attnum_text text := substring(column_var_text FROM ':varattno (-?[0-9]+)');
  result name;
BEGIN
  IF column_var_text !~ '^\{VAR ' OR attnum_text IS NULL THEN
    RAISE EXCEPTION 'not a valid column: %', column_var_text;
  END IF;
  SELECT attname INTO result FROM pg_attribute
  WHERE attrelid = table_name AND attnum = attnum_text::int AND NOT attisdropped;
  IF result IS NULL THEN
    RAISE EXCEPTION 'attribute % of relation "%" does not exist', attnum_text, table_name;
  END IF;
  RETURN result;
END
$$;

CREATE FUNCTION pg_catalog.citus_set_coordinator_host(host text, port integer DEFAULT current_setting('port')::integer,
                                                      node_role pg_catalog.noderole DEFAULT 'primary',
                                                      node_cluster name DEFAULT 'default') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
    UPDATE pg_catalog.pg_dist_node SET nodename = host, nodeport = port WHERE groupid = 0;
  ELSE
    INSERT INTO pg_catalog.pg_dist_node (groupid, nodename, nodeport, noderole, nodecluster, hasmetadata, isactive,
                                         metadatasynced, shouldhaveshards)
    VALUES (0, host, port, node_role, node_cluster, true, true, true, false);
  END IF;
END
$$;

CREATE FUNCTION pg_catalog.citus_add_node(nodename text, nodeport integer DEFAULT 5432, groupid integer DEFAULT -1,
                                          noderole pg_catalog.noderole DEFAULT 'primary',
                                          nodecluster name DEFAULT 'default') RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  existing integer;
  new_id integer;
  new_group integer;
  conn text := pgcluster.node_conninfo(nodename, nodeport);
  r record;
  src text;
BEGIN
  SELECT n.nodeid INTO existing FROM pg_catalog.pg_dist_node n
  WHERE n.nodename = citus_add_node.nodename AND n.nodeport = citus_add_node.nodeport;
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;
  BEGIN
    PERFORM * FROM dblink(conn, 'SELECT 1') AS t(x int);
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'cannot add node %:%: connection failed: %', nodename, nodeport, SQLERRM;
  END;
  IF groupid = -1 THEN
    new_group := nextval('pg_catalog.pg_dist_groupid_seq');
  ELSE
    new_group := groupid;
  END IF;
  INSERT INTO pg_catalog.pg_dist_node (groupid, nodename, nodeport, noderole, nodecluster, hasmetadata, isactive,
                                       metadatasynced, shouldhaveshards)
  VALUES (new_group, nodename, nodeport, noderole, nodecluster, true, true, true, true)
  RETURNING pg_dist_node.nodeid INTO new_id;
  -- Reference tables get a copy on every node: create the shard there and fill it from the current face.
  IF noderole = 'primary' THEN
    FOR r IN SELECT p.logicalrelid, s.shardid FROM pg_catalog.pg_dist_partition p
             JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid = p.logicalrelid
             WHERE p.partmethod = 'n' AND p.repmodel = 't'
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                               WHERE pl.shardid = s.shardid AND pl.groupid = new_group) LOOP
      PERFORM pgcluster.run_on_group(new_group, pgcluster.shard_ddl(r.logicalrelid, r.shardid));
      PERFORM pgcluster.copy_reference_shard(r.logicalrelid, r.shardid, new_id);
      INSERT INTO pg_catalog.pg_dist_placement (shardid, shardstate, shardlength, groupid)
      VALUES (r.shardid, 1, 0, new_group);
    END LOOP;
  END IF;
  RETURN new_id;
END
$$;

-- Copies a reference table's rows (read through its coordinator face) into its shard on node p_nodeid.
CREATE FUNCTION pgcluster.copy_reference_shard(p_table regclass, p_shardid bigint, p_nodeid integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
  tmp text := 'pgcluster_copy_' || p_shardid || '_' || p_nodeid;
  cols text;
BEGIN
  SELECT * INTO nsp, rel FROM pgcluster.relation_parts(p_table);
  EXECUTE format('CREATE FOREIGN TABLE pg_temp.%I (%s) SERVER %I OPTIONS (schema_name %L, table_name %L)',
                 tmp, pgcluster.column_definitions(p_table, false), pgcluster.server_name(p_nodeid), nsp,
                 pgcluster.shard_name(rel, p_shardid));
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute WHERE attrelid = p_table AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
  EXECUTE format('INSERT INTO pg_temp.%I (%s) SELECT %s FROM %s', tmp, cols, cols, p_table);
  EXECUTE format('DROP FOREIGN TABLE pg_temp.%I', tmp);
END
$$;

CREATE FUNCTION pg_catalog.create_distributed_table(table_name regclass, distribution_column text,
                                                    distribution_type text DEFAULT 'hash',
                                                    colocate_with text DEFAULT 'default',
                                                    shard_count integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  rel regclass := table_name;
  att record;
  hashfn text;
  groups integer[] := pgcluster.worker_groups();
  nshards integer;
  coloc integer;
  coloc_table regclass;
  template_table regclass;
  width bigint;
  shard_ids bigint[] := '{}';
  shard_groups integer[] := '{}';
  mins bigint[] := '{}';
  maxs bigint[] := '{}';
  i integer;
  faces record;
  bound text;
  partkey text;
  other record;
BEGIN
  IF distribution_type IS DISTINCT FROM 'hash' THEN
    RAISE EXCEPTION 'distribution_type "%" is not supported by the local cluster: only hash', distribution_type;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = rel) THEN
    RAISE EXCEPTION 'table "%" is already distributed', rel;
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'r' THEN
    RAISE EXCEPTION 'cannot distribute "%": only regular tables can be distributed', rel;
  END IF;
  SELECT a.attnum, a.atttypid, a.atttypmod, a.attcollation, a.attname INTO att FROM pg_attribute a
  WHERE a.attrelid = rel AND a.attname = distribution_column AND a.attnum > 0 AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist', distribution_column, rel;
  END IF;
  hashfn := pgcluster.hash_function(att.atttypid);
  IF hashfn IS NULL THEN
    RAISE EXCEPTION 'distribution column "%" has type %, which the local cluster cannot distribute by',
      distribution_column, format_type(att.atttypid, att.atttypmod)
      USING HINT = 'supported types: bigint, integer, smallint, text, character varying, uuid, date, time, '
        'timestamp, timestamptz, numeric, boolean, real, double precision, oid, bytea, jsonb, inet, cidr, enums';
  END IF;
  IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
    RAISE EXCEPTION '% is outside the valid range for parameter "shard_count" (1 .. 64000)', shard_count;
  END IF;
  IF cardinality(groups) = 0 THEN
    RAISE EXCEPTION 'no worker nodes are available to place shards of "%"', rel
      USING HINT = 'add a worker with citus_add_node (pgcluster add-worker)';
  END IF;

  -- Colocation group: as Citus, same type + shard count + replication factor 1 + collation.
  IF lower(colocate_with) = 'none' THEN
    coloc := NULL;
    nshards := coalesce(shard_count, 32);
  ELSIF lower(colocate_with) = 'default' THEN
    nshards := coalesce(shard_count, 32);
    SELECT c.colocationid INTO coloc FROM pg_catalog.pg_dist_colocation c
    WHERE c.distributioncolumntype = att.atttypid AND c.shardcount = nshards AND c.replicationfactor = 1
      AND c.distributioncolumncollation = att.attcollation
    ORDER BY c.colocationid LIMIT 1;
  ELSE
    BEGIN
      coloc_table := colocate_with::regclass;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'cannot colocate with "%": %', colocate_with, SQLERRM;
    END;
    SELECT p.colocationid, c.shardcount, c.distributioncolumntype, c.distributioncolumncollation INTO other
    FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_dist_colocation c ON c.colocationid = p.colocationid
    WHERE p.logicalrelid = coloc_table AND p.partmethod = 'h';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'cannot colocate tables % and %: % is not a hash distributed table', rel, coloc_table, coloc_table;
    END IF;
    IF other.distributioncolumntype <> att.atttypid OR other.distributioncolumncollation <> att.attcollation THEN
      RAISE EXCEPTION 'cannot colocate tables % and %', rel, coloc_table
        USING DETAIL = format('Distribution column types don''t match for %s (%s) and %s (%s).', rel,
                              format_type(att.atttypid, NULL), coloc_table, format_type(other.distributioncolumntype, NULL));
    END IF;
    IF shard_count IS NOT NULL AND shard_count <> other.shardcount THEN
      RAISE EXCEPTION 'cannot colocate tables % and %', rel, coloc_table
        USING DETAIL = format('Shard counts don''t match for %s (%s) and %s (%s).', rel, shard_count,
                              coloc_table, other.shardcount);
    END IF;
    coloc := other.colocationid;
    nshards := other.shardcount;
  END IF;

  -- Placements: follow the group's first table index by index, else round-robin over workers in node order.
  IF coloc IS NOT NULL THEN
    SELECT p.logicalrelid INTO template_table FROM pg_catalog.pg_dist_partition p
    WHERE p.colocationid = coloc ORDER BY p.logicalrelid::oid LIMIT 1;
  END IF;
  width := 4294967296 / nshards;
  FOR i IN 0 .. nshards - 1 LOOP
    shard_ids := shard_ids || nextval('pg_catalog.pg_dist_shardid_seq');
    mins := mins || (-2147483648 + i * width);
    maxs := maxs || CASE WHEN i = nshards - 1 THEN 2147483647 ELSE -2147483648 + (i + 1) * width - 1 END;
    IF template_table IS NOT NULL THEN
      shard_groups := shard_groups || (
        SELECT pl.groupid FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
        WHERE s.logicalrelid = template_table ORDER BY s.shardid OFFSET i LIMIT 1);
    ELSE
      shard_groups := shard_groups || groups[1 + i % cardinality(groups)];
    END IF;
  END LOOP;
  IF coloc IS NULL THEN
    coloc := nextval('pg_catalog.pg_dist_colocationid_seq');
    INSERT INTO pg_catalog.pg_dist_colocation VALUES (coloc, nshards, 1, att.atttypid, att.attcollation);
  END IF;

  PERFORM pgcluster.create_shard_tables(rel, shard_ids, shard_groups);

  -- Coordinator face: partitioned by the column's hash, one foreign partition per shard.
  SELECT * INTO faces FROM pgcluster.begin_face(rel, 'RANGE (' || pgcluster.hash_expression(att.atttypid, quote_ident(att.attname)) || ')');
  FOR i IN 1 .. nshards LOOP
    bound := format('FOR VALUES FROM (%s) TO (%s)', mins[i],
                    CASE WHEN i = nshards THEN 'MAXVALUE' ELSE (maxs[i] + 1)::text END);
    PERFORM pgcluster.create_shard_face(faces.new_table, shard_ids[i], shard_groups[i], bound);
  END LOOP;

  SELECT format('{VAR :varno 1 :varattno %s :vartype %s :vartypmod %s :varcollid %s :varlevelsup 0 :varnosyn 1 :varattnosyn %s :location -1}',
                a.attnum, a.atttypid, a.atttypmod, a.attcollation, a.attnum) INTO partkey
  FROM pg_attribute a WHERE a.attrelid = faces.new_table AND a.attname = att.attname;
  INSERT INTO pg_catalog.pg_dist_partition VALUES (faces.new_table, 'h', partkey, coloc, 's', false);
  FOR i IN 1 .. nshards LOOP
    INSERT INTO pg_catalog.pg_dist_shard VALUES (faces.new_table, shard_ids[i], 't', mins[i]::text, maxs[i]::text);
    INSERT INTO pg_catalog.pg_dist_placement (shardid, shardstate, shardlength, groupid)
    VALUES (shard_ids[i], 1, 0, shard_groups[i]);
  END LOOP;

  PERFORM pgcluster.finish_face(faces.old_table, faces.new_table);
END
$$;

CREATE FUNCTION pg_catalog.create_reference_table(table_name regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  rel regclass := table_name;
  groups integer[] := pgcluster.worker_groups();
  coloc integer;
  shard bigint;
  first_col text;
  faces record;
  g integer;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = rel) THEN
    RAISE EXCEPTION 'table "%" is already distributed', rel;
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'r' THEN
    RAISE EXCEPTION 'cannot distribute "%": only regular tables can be distributed', rel;
  END IF;
  IF cardinality(groups) = 0 THEN
    RAISE EXCEPTION 'no worker nodes are available to place shards of "%"', rel
      USING HINT = 'add a worker with citus_add_node (pgcluster add-worker)';
  END IF;
  SELECT c.colocationid INTO coloc FROM pg_catalog.pg_dist_colocation c
  WHERE c.shardcount = 1 AND c.replicationfactor = -1 AND c.distributioncolumntype = 0 ORDER BY 1 LIMIT 1;
  IF coloc IS NULL THEN
    coloc := nextval('pg_catalog.pg_dist_colocationid_seq');
    INSERT INTO pg_catalog.pg_dist_colocation VALUES (coloc, 1, -1, 0, 0);
  END IF;
  shard := nextval('pg_catalog.pg_dist_shardid_seq');
  PERFORM pgcluster.create_shard_tables(rel, array_fill(shard, ARRAY[cardinality(groups)]), groups);

  -- Face: one DEFAULT foreign partition (on the first worker's copy) of a table list-partitioned by a
  -- boolean of the first column, which any type allows. Writes through it reach that copy only.
  SELECT quote_ident(attname) INTO first_col FROM pg_attribute
  WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1;
  SELECT * INTO faces FROM pgcluster.begin_face(rel, format('LIST ((%s IS NULL))', first_col));
  PERFORM pgcluster.create_shard_face(faces.new_table, shard, groups[1], 'DEFAULT');

  INSERT INTO pg_catalog.pg_dist_partition VALUES (faces.new_table, 'n', NULL, coloc, 't', false);
  INSERT INTO pg_catalog.pg_dist_shard VALUES (faces.new_table, shard, 't', NULL, NULL);
  FOREACH g IN ARRAY groups LOOP
    INSERT INTO pg_catalog.pg_dist_placement (shardid, shardstate, shardlength, groupid) VALUES (shard, 1, 0, g);
  END LOOP;
  -- Rows already in the table go to every copy: first worker via the face, the others directly.
  PERFORM pgcluster.finish_face(faces.old_table, faces.new_table);
  FOR i IN 2 .. cardinality(groups) LOOP
    PERFORM pgcluster.copy_reference_shard(faces.new_table, shard,
      (SELECT nodeid FROM pg_catalog.pg_dist_node WHERE groupid = groups[i] AND noderole = 'primary' ORDER BY nodeid LIMIT 1));
  END LOOP;
END
$$;

-- Shard of a distribution value; the value is given as text (Citus takes "any") and cast to the column type.
CREATE FUNCTION pg_catalog.get_shard_id_for_distribution_column(table_name regclass, distribution_value text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
  p record;
  typ oid;
  h integer;
  result bigint;
BEGIN
  SELECT * INTO p FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid = table_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation % is not a distributed table', table_name;
  END IF;
  IF p.partmethod = 'n' THEN
    SELECT shardid INTO result FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid = table_name;
    RETURN result;
  END IF;
  IF distribution_value IS NULL THEN
    RAISE EXCEPTION 'distribution value cannot be NULL for tables other than reference tables.';
  END IF;
  SELECT atttypid INTO typ FROM pg_attribute
  WHERE attrelid = table_name AND attname = pg_catalog.column_to_column_name(table_name, p.partkey);
  EXECUTE format('SELECT %s', pgcluster.hash_expression(typ, '$1::' || format_type(typ, NULL))) INTO h
    USING distribution_value;
  SELECT s.shardid INTO result FROM pg_catalog.pg_dist_shard s
  WHERE s.logicalrelid = table_name AND h BETWEEN s.shardminvalue::bigint AND s.shardmaxvalue::bigint;
  RETURN result;
END
$$;

CREATE FUNCTION pg_catalog.get_shard_id_for_distribution_column(table_name regclass, distribution_value anyelement)
RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT pg_catalog.get_shard_id_for_distribution_column(table_name, distribution_value::text)
$$;

-- Size of a shard on the node holding it (for the by_disk_size strategy).
CREATE FUNCTION pg_catalog.citus_shard_cost_by_disk_size(shard_id bigint) RETURNS float4
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
  grp integer;
  bytes bigint;
BEGIN
  SELECT n.nspname, c.relname, pl.groupid INTO nsp, rel, grp
  FROM pg_catalog.pg_dist_shard s JOIN pg_class c ON c.oid = s.logicalrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
  WHERE s.shardid = shard_id ORDER BY pl.placementid LIMIT 1;
  IF grp IS NULL THEN
    RETURN 0;
  END IF;
  SELECT t.b INTO bytes FROM dblink(pgcluster.group_conninfo(grp),
    format('SELECT pg_total_relation_size(%L::regclass)', quote_ident(nsp) || '.' || quote_ident(pgcluster.shard_name(rel, shard_id))))
    AS t(b bigint);
  RETURN bytes;
END
$$;

-- DROP TABLE of a distributed/reference table: forget its metadata and drop its shards (best effort) like Citus.
CREATE FUNCTION pgcluster.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  d record;
  sh record;
BEGIN
  FOR d IN SELECT * FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table' LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = d.objid);
    FOR sh IN SELECT s.shardid, pl.groupid FROM pg_catalog.pg_dist_shard s
              JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid WHERE s.logicalrelid = d.objid LOOP
      BEGIN
        PERFORM pgcluster.run_on_group(sh.groupid, ARRAY[format('DROP TABLE IF EXISTS %I.%I', d.schema_name,
                                                                 pgcluster.shard_name(d.object_name, sh.shardid))]);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'could not drop shard %.% on group %: %', d.schema_name, pgcluster.shard_name(d.object_name, sh.shardid),
          sh.groupid, SQLERRM;
      END;
    END LOOP;
    DELETE FROM pg_catalog.pg_dist_placement WHERE shardid IN
      (SELECT shardid FROM pg_catalog.pg_dist_shard WHERE logicalrelid = d.objid);
    DELETE FROM pg_catalog.pg_dist_shard WHERE logicalrelid = d.objid;
    DELETE FROM pg_catalog.pg_dist_partition WHERE logicalrelid = d.objid;
  END LOOP;
END
$$;
CREATE EVENT TRIGGER pgcluster_drop_distributed_table ON sql_drop EXECUTE FUNCTION pgcluster.on_sql_drop();

-- Bytes of a shard's table on the node of p_groupid (NULL if unreachable).
CREATE FUNCTION pgcluster.shard_size(p_shardid bigint, p_groupid integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  rel text;
  bytes bigint;
BEGIN
  SELECT n.nspname, c.relname INTO nsp, rel FROM pg_catalog.pg_dist_shard s JOIN pg_class c ON c.oid = s.logicalrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.shardid = p_shardid;
  SELECT t.b INTO bytes FROM dblink(pgcluster.group_conninfo(p_groupid),
    format('SELECT pg_total_relation_size(to_regclass(%L))', quote_ident(nsp) || '.' || quote_ident(pgcluster.shard_name(rel, p_shardid))))
    AS t(b bigint);
  RETURN bytes;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$$;

-- Same columns as Citus's citus_shards (one row per placement); shard_size asks the worker.
CREATE VIEW pg_catalog.citus_shards AS
  SELECT s.logicalrelid AS table_name, s.shardid, pgcluster.shard_name(c.relname, s.shardid) AS shard_name,
         CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'local' END AS citus_table_type,
         p.colocationid AS colocation_id, n.nodename, n.nodeport, pgcluster.shard_size(s.shardid, pl.groupid) AS shard_size
  FROM pg_catalog.pg_dist_shard s
  JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = s.logicalrelid
  JOIN pg_class c ON c.oid = s.logicalrelid
  JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
  JOIN pg_catalog.pg_dist_node n ON n.groupid = pl.groupid AND n.noderole = 'primary';

CREATE FUNCTION pg_catalog.citus_remove_node(nodename text, nodeport integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  node record;
BEGIN
  SELECT * INTO node FROM pg_catalog.pg_dist_node n
  WHERE n.nodename = citus_remove_node.nodename AND n.nodeport = citus_remove_node.nodeport;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'node at "%:%" does not exist', nodename, nodeport;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement p JOIN pg_catalog.pg_dist_shard s USING (shardid)
             JOIN pg_catalog.pg_dist_partition d USING (logicalrelid)
             WHERE p.groupid = node.groupid AND d.partmethod <> 'n') THEN
    RAISE EXCEPTION 'cannot remove node %:% because it holds shard placements', nodename, nodeport
      USING HINT = 'move the shards away first (pgmove / rebalance with drain)';
  END IF;
  DELETE FROM pg_catalog.pg_dist_placement WHERE groupid = node.groupid;  -- reference copies; faces re-point
  DELETE FROM pg_catalog.pg_dist_node WHERE nodeid = node.nodeid;
  EXECUTE format('DROP SERVER IF EXISTS %I CASCADE', pgcluster.server_name(node.nodeid));
END
$$;

CREATE FUNCTION pg_catalog.citus_set_node_property(nodename text, nodeport integer, property text, value boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF property <> 'shouldhaveshards' THEN
    RAISE EXCEPTION 'only the ''shouldhaveshards'' property can be set';
  END IF;
  UPDATE pg_catalog.pg_dist_node n SET shouldhaveshards = value
  WHERE n.nodename = citus_set_node_property.nodename AND n.nodeport = citus_set_node_property.nodeport;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'node at "%:%" does not exist', nodename, nodeport;
  END IF;
END
$$;

-- Citus's lock_shard_metadata(lock_mode, shard_id[]) (resource_lock.c): the shard metadata lock a move holds in
-- ExclusiveLock (7) while it blocks writes and switches placements, and a loader holds in ShareLock (5) so it never
-- writes into a placement being switched. Transaction-scoped advisory locks keyed by the shard id, taken in the
-- given order (callers sort, as Citus's callers do). Citus's four modes map onto the two advisory modes by
-- PostgreSQL's lock-mode numbers: AccessShare (1) and Share (5) share, RowExclusive (3) and Exclusive (7) exclude.
-- That is PostgreSQL's conflict table for 5/5, 5/7, 3/5, 3/7 and 7/7; only 3/3 and 1/7 conflict here where they
-- would not in Citus (stricter, never looser). As in Citus, the caller must own the shard's table (EnsureShardOwner:
-- superuser or a member of the owner role).
CREATE FUNCTION pg_catalog.lock_shard_metadata(lock_mode integer, shard_id bigint[]) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
  sid bigint;
  rel oid;
  owner oid;
BEGIN
  IF lock_mode NOT IN (1, 3, 5, 7) THEN
    RAISE EXCEPTION 'unsupported lockmode %', lock_mode;
  END IF;
  IF array_ndims(shard_id) IS NULL THEN
    RAISE EXCEPTION 'no locks specified';
  END IF;
  FOREACH sid IN ARRAY shard_id LOOP
    rel := NULL;
    SELECT s.logicalrelid INTO rel FROM pg_catalog.pg_dist_shard s WHERE s.shardid = sid;
    IF rel IS NULL THEN
      RAISE EXCEPTION 'could not find valid entry for shard %', sid;
    END IF;
    SELECT c.relowner INTO owner FROM pg_catalog.pg_class c WHERE c.oid = rel;
    IF NOT pg_catalog.pg_has_role(owner, 'USAGE') THEN
      RAISE EXCEPTION 'must be owner of table %', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel)
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF lock_mode IN (1, 5) THEN
      PERFORM pg_catalog.pg_advisory_xact_lock_shared(sid);
    ELSE
      PERFORM pg_catalog.pg_advisory_xact_lock(sid);
    END IF;
  END LOOP;
END
$$;

-- Citus's lock_shard_resources(lock_mode, shard_id[]) (resource_lock.c): the shard resource lock that serializes
-- non-commutative writes (a COPY holds RowExclusiveLock (3) on every shard it writes, an UPDATE/DELETE of a
-- replicated table ExclusiveLock (7)). Transaction-scoped advisory locks on the key pair (5, shard id), apart from
-- lock_shard_metadata's; 1 and 3 share, 5 and 7 exclude (stricter than Citus's table, never looser). As in Citus the
-- caller needs INSERT (mode 3) or UPDATE/DELETE/TRUNCATE on the shard's table; an unknown shard is skipped.
CREATE FUNCTION pg_catalog.lock_shard_resources(lock_mode integer, shard_id bigint[]) RETURNS void
LANGUAGE plpgsql STRICT AS $$
DECLARE
  sid bigint;
  rel oid;
BEGIN
  IF lock_mode NOT IN (1, 3, 5, 7) THEN
    RAISE EXCEPTION 'unsupported lockmode %', lock_mode;
  END IF;
  IF array_ndims(shard_id) IS NULL THEN
    RAISE EXCEPTION 'no locks specified';
  END IF;
  FOREACH sid IN ARRAY shard_id LOOP
    rel := NULL;
    SELECT s.logicalrelid INTO rel FROM pg_catalog.pg_dist_shard s WHERE s.shardid = sid;
    CONTINUE WHEN rel IS NULL;
    IF NOT pg_catalog.has_table_privilege(rel, CASE WHEN lock_mode = 3 THEN 'INSERT,UPDATE,DELETE,TRUNCATE'
                                                    ELSE 'UPDATE,DELETE,TRUNCATE' END) THEN
      RAISE EXCEPTION 'permission denied for table %', (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = rel)
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF lock_mode IN (1, 3) THEN
      PERFORM pg_catalog.pg_advisory_xact_lock_shared(5, sid::integer);
    ELSE
      PERFORM pg_catalog.pg_advisory_xact_lock(5, sid::integer);
    END IF;
  END LOOP;
END
$$;

-- Citus's lock_relation_if_exists(table_name, lock_mode) (resource_lock.c): LOCK TABLE on this node only (Citus
-- propagates a LOCK TABLE of a distributed table to the workers; this never does), with LOCK TABLE's privilege
-- checks; false when the table does not exist.
CREATE FUNCTION pg_catalog.lock_relation_if_exists(table_name text, lock_mode text) RETURNS boolean
LANGUAGE plpgsql STRICT AS $$
BEGIN
  IF upper(lock_mode) NOT IN ('ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE',
                              'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE') THEN
    RAISE EXCEPTION 'unknown lock mode: %', lock_mode;
  END IF;
  IF pg_catalog.to_regclass(table_name) IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('LOCK TABLE ONLY %s IN %s MODE', pg_catalog.to_regclass(table_name)::text, upper(lock_mode));
  RETURN true;
END
$$;

-- The local cluster follows the seed (Azure Cosmos DB for PostgreSQL): by_shard_count is the default.
INSERT INTO pg_catalog.pg_dist_rebalance_strategy VALUES
  ('by_shard_count', true, 'citus_shard_cost_1', 'citus_node_capacity_1', 'citus_shard_allowed_on_node_true', 0, 0, 0),
  ('by_disk_size', false, 'citus_shard_cost_by_disk_size', 'citus_node_capacity_1', 'citus_shard_allowed_on_node_true',
   0.1, 0.01, 0.5);

GRANT USAGE ON SCHEMA pgcluster TO PUBLIC;
GRANT SELECT ON pg_catalog.pg_dist_partition, pg_catalog.pg_dist_shard, pg_catalog.pg_dist_placement,
  pg_catalog.pg_dist_node, pg_catalog.pg_dist_colocation, pg_catalog.pg_dist_rebalance_strategy,
  pg_catalog.pg_dist_cleanup, pg_catalog.citus_shards TO PUBLIC;
