"""What a pledge is and what may happen to it: the form's steps (steps), its answers (answers),
its private links (links), sending it (submission), its two status axes and their allowed moves
(status), whether an accepted pledge's city owes an update (update_states), what coordinators
and the city do to it (actions), and the audit log (audit)."""
