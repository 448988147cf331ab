-- 011_items_author: who wrote an entry, as its feed names them (RSS author or dc:creator, Atom author name;
-- docs/design.md "Linking"). A reply on a message board addresses the message's author by handle
-- («网友“UU008913”您好»), which links it to the message whatever its headline says. Items stored before this
-- migration were read without it: their author is empty until their feed brings them again with new content.

ALTER TABLE items ADD COLUMN author VARCHAR DEFAULT '';
