DROP TABLE claim_scores;
DROP TABLE claim_submissions;
DROP TABLE claim_drafts;
