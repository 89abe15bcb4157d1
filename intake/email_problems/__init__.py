"""Blueprint "email_problems": the coordinators' page of emails that failed or wait for another
attempt, the suppressed addresses and the alert on our sending setup (signed-in coordinators
read it); the admins' retry and lift (views). The rules are in intake/email/problems.py."""
