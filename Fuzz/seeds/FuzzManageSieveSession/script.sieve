require ["fileinto", "imap4flags"];
if anyof (header :contains "subject" "x", size :over 10K) {
  fileinto :flags "\\Seen" "Junk"; stop;
} elsif not exists "to" { reject text:
no
..
.
; }
