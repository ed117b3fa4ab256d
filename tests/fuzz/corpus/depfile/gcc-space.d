sp.o: sp\ ace.c /usr/include/stdc-predef.h
/usr/include/stdc-predef.h:
