
set terminal pngcairo size 1000,560 font ',10'
set output '/work/main/bench/out/load.png'
set title "Loading 500000 rows into 32 shards (medians and runs)"
set ylabel 'rows/s'
set datafile missing 'NaN'
set style fill solid 0.6 border -1
set boxwidth 0.6
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:3.6]
set grid ytics
set key top right
set xtics rotate by -15 noenhanced
plot  '/work/main/bench/out/load.dat' using 1:3:xtic(2) with boxes lc rgb '#4477aa' title 'median', \
     '' using 1:4 with points pt 7 ps 0.8 lc rgb 'black' title 'runs', \
     '' using 1:5 with points pt 7 ps 0.8 lc rgb 'black' notitle, \
     '' using 1:6 with points pt 7 ps 0.8 lc rgb 'black' notitle, \
     '' using 1:8:7 with labels offset 0,0.8 notitle
