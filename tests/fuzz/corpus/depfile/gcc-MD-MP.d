m.o: m.c /usr/include/stdc-predef.h a\ b.h x.h
/usr/include/stdc-predef.h:
a\ b.h:
x.h:
