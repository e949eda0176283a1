CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_kind" text NOT NULL,
	"owner_id" text NOT NULL,
	"slot" text NOT NULL,
	"role" text NOT NULL,
	"tool" text NOT NULL,
	"input" jsonb NOT NULL,
	"rule" text,
	"status" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "permission_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner_kind" text NOT NULL,
	"owner_id" text NOT NULL,
	"tool" text NOT NULL,
	"input" jsonb NOT NULL,
	"decision" text NOT NULL,
	"by" text NOT NULL,
	"role" text NOT NULL,
	"role_version" integer NOT NULL,
	"rule" text,
	"approval_id" text,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "role_versions" (
	"role" text NOT NULL,
	"version" integer NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"allow" jsonb NOT NULL,
	"confirm" jsonb NOT NULL,
	"deny" jsonb NOT NULL,
	"changed_by" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approvals_status_requested_idx" ON "approvals" USING btree ("status","requested_at");--> statement-breakpoint
CREATE INDEX "permission_decisions_owner_idx" ON "permission_decisions" USING btree ("owner_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "role_versions_role_version_idx" ON "role_versions" USING btree ("role","version");