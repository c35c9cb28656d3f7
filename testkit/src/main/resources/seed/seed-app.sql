-- The seed's app schema: what logical replication must carry or work around. Applied to a source as the superuser
-- (the e2e scenario: before the base backup, beside the ledger). hstore column, serial and bigserial ids, a table in
-- another schema, an identity column, a free-standing sequence (called and never called), a table without a primary
-- key (the plan lists it in replica_identity_full), a materialized view (refreshed on T in cutover 2).
-- Row counts are psql variables (:users, :events, :invoices, :audit_rows); io.pgferry.testkit.SeedApp fills them for
-- JDBC, or: psql -v users=200 -v events=1000 -v invoices=300 -v audit_rows=100 -f seed-app.sql
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE SCHEMA billing;
CREATE TABLE public.users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, attrs hstore, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.events (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES public.users (id), kind text NOT NULL, payload hstore);
CREATE SEQUENCE billing.invoice_number START 100000;
CREATE TABLE billing.invoices (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES public.users (id),
  amount numeric(12, 2) NOT NULL, number bigint NOT NULL DEFAULT nextval('billing.invoice_number'));
CREATE TABLE billing.line_items (invoice_id int NOT NULL REFERENCES billing.invoices (id), line int NOT NULL, sku text NOT NULL,
  qty int NOT NULL, PRIMARY KEY (invoice_id, line));
CREATE TABLE public.audit_log (at timestamptz NOT NULL DEFAULT now(), actor text, message text);
CREATE SEQUENCE public.ticket_seq;
CREATE SEQUENCE public.never_called START 42;
CREATE MATERIALIZED VIEW public.plan_counts AS SELECT attrs -> 'plan' AS plan, count(*) AS users FROM public.users GROUP BY 1;

INSERT INTO public.users (email, attrs)
  SELECT 'u' || g || '@example.com', hstore(ARRAY['plan', 'n'], ARRAY[CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END, g::text])
  FROM generate_series(1, :users) g;
INSERT INTO public.events (user_id, kind, payload) SELECT 1 + g % :users, 'login', hstore('ip', '10.0.' || (g % 250) || '.1') FROM generate_series(1, :events) g;
INSERT INTO billing.invoices (user_id, amount) SELECT 1 + g % :users, (g * 7 % 1000) / 4.0 FROM generate_series(1, :invoices) g;
INSERT INTO billing.line_items SELECT i, l, 'sku-' || (i * l % 97), l FROM generate_series(1, :invoices) i, generate_series(1, 3) l;
INSERT INTO public.audit_log (actor, message) SELECT 'u' || g, 'did ' || g FROM generate_series(1, :audit_rows) g;
SELECT nextval('public.ticket_seq') FROM generate_series(1, 5);
REFRESH MATERIALIZED VIEW public.plan_counts;
