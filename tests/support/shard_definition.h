// What a move must carry over besides rows and indexes, as one comparable text per shard table: owner, privileges
// (table and column), row level security and force, policies, storage parameters, and each column's storage,
// statistics target and options. Equal on source and target means the move kept them.
#pragma once

#include <string>

#include "common/pg.h"

namespace pgload::test {

inline std::string shard_definition(const PgConn& conn, const std::string& relation) {
  return conn
      .scalar(
          "SELECT concat_ws(E'\\n', 'owner=' || pg_get_userbyid(c.relowner), 'relacl=' || coalesce(c.relacl::text, "
          "'null'),"
          " 'rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity,"
          " 'reloptions=' || coalesce(c.reloptions::text, 'null'),"
          " (SELECT string_agg('policy ' || p.polname || ' cmd=' || p.polcmd::text || ' permissive=' || "
          "p.polpermissive ||"
          "   ' roles=' || (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ',' ORDER BY "
          "1)"
          "     FROM unnest(p.polroles) r) || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') ||"
          "   ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), E'\\n' ORDER BY p.polname)"
          "   FROM pg_policy p WHERE p.polrelid = c.oid),"
          " (SELECT string_agg('column ' || a.attname || ' storage=' || a.attstorage::text || ' stattarget=' ||"
          "   a.attstattarget || ' options=' || coalesce((SELECT string_agg(x, ',') FROM unnest(a.attoptions) x"
          "   WHERE x NOT LIKE 'pg\\_%'), 'null') || ' acl=' ||"
          "   coalesce(a.attacl::text, 'null'), E'\\n' ORDER BY a.attnum)"
          "   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))"
          " FROM pg_class c WHERE c.oid = $1::regclass",
          {relation})
      .value_or("(no table " + relation + ")");
}

}  // namespace pgload::test
