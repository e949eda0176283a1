ALTER TABLE "slots" ADD COLUMN "daily_budget_usd" double precision;--> statement-breakpoint
CREATE INDEX "tasks_slot_finished_idx" ON "tasks" USING btree ("slot","finished_at");